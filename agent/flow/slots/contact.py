"""Contact details: :func:`extract_email` (written or spelled out) and
:func:`extract_phone` (digits said, as E.164 when a country code is known)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers

from ...phones import say_number
from .context import SlotContext, SlotValue
from .numbers import _FILLERS, _SMALL, _TENS, _UNITS, _at

# --- email ------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
_EMAIL_LEAD_IN = re.compile(
    r"(?:(?:yes|yeah|yep|sure|ok|okay|so|well|uh|um)[\s,]+)*"
    r"(?:(?:my|the|our)\s+)?(?:e[\s-]?mail(?:\s+address)?\s+)?"
    r"(?:(?:is|it's|its|it is|that's|that is)\s+)?"
)
_SPOKEN_SYMBOLS = {
    "dot": ".", "period": ".", "point": ".", "underscore": "_", "dash": "-", "hyphen": "-",
    "plus": "+",
} | {word: str(n) for n, word in enumerate(_UNITS[:10])}  # fmt: skip
_SAID_SYMBOLS = {".": " dot ", "@": " at ", "_": " underscore ", "-": " dash ", "+": " plus "}


def _spoken_email(text: str) -> str | None:
    """ "john dot smith at example dot com" -> "john.smith@example.com" (unchecked)."""
    said = re.findall(r"[a-z0-9]+|[@._+-]", _EMAIL_LEAD_IN.sub("", text, count=1))
    ats = [i for i, w in enumerate(said) if w in ("at", "@") and "." in _email_part(said[i:])]
    if not ats:
        return None
    at, start = ats[-1], max((i + 1 for i, w in enumerate(said[: ats[-1]]) if w == "at"), default=0)
    domain = said[at + 1 :]
    dots = [i for i, w in enumerate(domain) if _SPOKEN_SYMBOLS.get(w, w) == "."]
    domain = domain[: dots[-1] + 2]  # drop what follows the top-level domain ("please")
    return f"{_email_part(said[start:at])}@{_email_part(domain)}"  # "email me at ..."


def _email_part(said: Sequence[str]) -> str:
    return "".join(_SPOKEN_SYMBOLS.get(w, w) for w in said if w != "sign")


def extract_email(text: str, ctx: SlotContext) -> SlotValue | None:
    """An email address, written or spelled out ("j o h n at gmail dot com"), lower-case."""
    lowered = text.strip().lower()
    written = _EMAIL.search(lowered)
    email = written.group() if written else _spoken_email(lowered)
    if email is None or not _EMAIL.fullmatch(email) or len(email) > 254:
        return None
    if len(email.partition("@")[0]) > 64:
        return None
    said = "".join(_SAID_SYMBOLS.get(c, c) for c in email)
    return SlotValue(email, " ".join(said.split()))


# --- phone ------------------------------------------------------------------------------

_DIGIT_WORDS = {word: str(n) for n, word in enumerate(_UNITS[:10])} | {"oh": "0", "o": "0"}
_REPEATS = {"double": 2, "triple": 3}


def _phone_piece(said: Sequence[str], i: int) -> tuple[str, int] | None:
    """The digits said at ``i`` ("double five" -> "55", "forty four" -> "44")."""
    word, following = said[i], _at(said, i + 1)
    if word.isdigit() or word == "+":
        return word, i + 1
    if word == "plus":
        return "+", i + 1
    if word in _DIGIT_WORDS:
        return _DIGIT_WORDS[word], i + 1
    if word in _REPEATS and (following in _DIGIT_WORDS or re.fullmatch(r"\d", following)):
        return _DIGIT_WORDS.get(following, following) * _REPEATS[word], i + 2
    if word in ("hundred", "thousand"):
        return "0" * (2 if word == "hundred" else 3), i + 1
    if word in _SMALL:  # ten .. ninety, "thirty four"
        if word in _TENS and _SMALL.get(following, 0) in range(1, 10):
            return str(_SMALL[word] + _SMALL[following]), i + 2
        return str(_SMALL[word]), i + 1
    return None


def _digit_runs(text: str) -> list[str]:
    """Each unbroken run of spoken or written digits; a "+" starts a new run."""
    said = re.findall(r"\+|\d+|[a-z]+", text.lower())
    runs, i = [""], 0
    while i < len(said):
        piece = _phone_piece(said, i) if said[i] not in _FILLERS else ("", i + 1)
        if piece is None:
            runs.append("")
            i += 1
            continue
        if piece[0] == "+":
            runs.append("")
        runs[-1] += piece[0]
        i = piece[1]
    return [run for run in runs if run.strip("+")]


def _e164(run: str, country: str | None) -> str | None:
    """``run`` in E.164 ("+447700900123"), or bare digits when there is no country code."""
    plus, digits = run.startswith("+"), run.lstrip("+")
    if not plus and digits.startswith("00"):
        plus, digits = True, digits[2:]
    if not 7 <= len(digits) <= 15:
        return None
    if plus or country is None:
        return f"+{digits}" if plus else digits
    if digits.startswith("0"):
        digits = digits[1:]  # the national trunk prefix
    elif digits.startswith(country) and len(digits) > 10:
        return f"+{digits}"  # said with its country code
    return f"+{country}{digits}" if len(country + digits) <= 15 else None


def _say_phone(number: str, country: str | None) -> str:
    """ "+12125550142" -> "2 1 2, 5 5 5, 0 1 4 2" when the country code is ``country``'s
    (the business's own), else "plus 4 4, 7 7 0 0, 9 0 0, 1 2 3" (:mod:`agent.phones`)."""
    region = phonenumbers.region_code_for_country_code(int(country)) if country else None
    return say_number(number, region if region and region != "ZZ" else None)


def extract_phone(text: str, ctx: SlotContext) -> SlotValue | None:
    """The longest run of digits said ("oh seven seven double five ..."), as E.164 when
    it has a "+" or ``ctx.default_country_code`` is set, else as digits; 7-15 digits."""
    runs = _digit_runs(text)
    if not runs:
        return None
    country = (ctx.default_country_code or "").lstrip("+") or None
    number = _e164(max(runs, key=len), country)
    if number is None or (number.startswith("+") and not _valid(number)):
        return None  # a number that cannot exist: ask again rather than store it
    return SlotValue(number, _say_phone(number, country))


def _valid(number: str) -> bool:
    """Whether an E.164 number has a possible length for its country (libphonenumber): a
    digit misheard into or out of a read-out number usually makes it impossible. (Not
    ``is_valid_number``: reserved ranges such as the UK's 07700 900xxx are real enough.)"""
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False
