"""Words and numbers: :func:`words` splits STT output, :func:`read_number` reads a number
said as digits or English words, :func:`extract_number` is the ``number`` extractor."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .context import SlotContext, SlotValue

_WORD = re.compile(r"\d+(?::\d\d|\.\d+)?(?:st|nd|rd|th)?|[a-z]+(?:'[a-z]+)*")
_NUMERAL = re.compile(r"\d+(?:\.\d+)?")
_UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)  # fmt: skip
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SMALL = {w: n for n, w in enumerate(_UNITS)} | {w: 20 + 10 * n for n, w in enumerate(_TENS)}
_ORDINAL_WORDS = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
    "seventeenth", "eighteenth", "nineteenth", "twentieth",
)  # fmt: skip
_ORDINALS = {w: n + 1 for n, w in enumerate(_ORDINAL_WORDS)} | {"thirtieth": 30}
_FILLERS = frozenset({"uh", "um", "uhm", "er", "erm", "hmm", "mm"})
# "one moment", "two secs": a number before these asks the agent to wait; it is no answer
WAIT_WORDS = frozenset(
    {"moment", "moments", "sec", "secs", "second", "seconds", "minute", "minutes", "mo"}
)


def words(text: str) -> list[str]:
    """``text`` as lower-case words and numerals; "p m" is "pm", "o'clock" "oclock"."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.lower().replace("\u2019", "'"))
    found: list[str] = []
    for word in _WORD.findall(text):
        if found and found[-1] in ("a", "p") and word == "m":
            found[-1] += "m"
        elif found and found[-1] == "o" and word == "clock":
            found[-1] = "oclock"
        else:
            found.append("oclock" if word == "o'clock" else word)
    return found


def _at(said: Sequence[str], i: int) -> str:
    """The word at ``i``, or "" past the end."""
    return said[i] if 0 <= i < len(said) else ""


def _fits(current: int, value: int) -> bool:
    """Whether number word ``value`` extends ``current``: twenty two, not two three."""
    rest = current % 100
    return rest == 0 or (value < 10 and rest >= 20 and rest % 10 == 0)


def read_number(said: Sequence[str], i: int) -> tuple[int | float, int] | None:
    """The number said at ``said[i]`` (a numeral or English words) and the index after."""
    if i < len(said) and _NUMERAL.fullmatch(said[i]):
        return (float(said[i]) if "." in said[i] else int(said[i])), i + 1
    if tuple(said[i : i + 3]) == ("half", "a", "dozen"):
        return 6, i + 3
    article = i + 1 < len(said) and said[i] in ("a", "an")
    if article and said[i + 1] not in ("hundred", "thousand", "dozen", "couple"):
        return None
    total, current, j = 0, int(article), i + int(article)
    while j < len(said):
        word, value = said[j], _SMALL.get(said[j])
        if value is not None and _fits(current, value):
            current += value
        elif word == "hundred" and 0 < current < 100:
            current *= 100
        elif word == "thousand" and 0 < current < 1000 and not total:
            total, current = current * 1000, 0
        elif word == "dozen" and (current or j == i):
            current = (current or 1) * 12
        elif word == "couple" and article and j == i + 1:
            current = 2
        elif not (word == "and" and current >= 100 and _at(said, j + 1) in _SMALL):
            break  # "and" only inside a number: "two hundred and five"
        j += 1
    return None if j == i else _decimals(said, j, total + current)


def _decimals(said: Sequence[str], j: int, whole: int) -> tuple[int | float, int]:
    """``whole``, with the digits after a following "point" ("two point five")."""
    end = j + 1
    while _at(said, j) == "point" and _SMALL.get(_at(said, end), 10) < 10:
        end += 1
    digits = "".join(str(_SMALL[word]) for word in said[j + 1 : end])
    return (float(f"{whole}.{digits}"), end) if digits else (whole, j)


def _say_number(value: int | float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def extract_number(text: str, ctx: SlotContext) -> SlotValue | None:
    """The first number said ("party of six" -> 6), within ``ctx``'s min and max; not
    one that asks the agent to wait ("one moment")."""
    said = words(text)
    found = next(
        (
            n
            for i in range(len(said))
            if (n := read_number(said, i)) and _at(said, n[1]) not in WAIT_WORDS
        ),
        None,
    )
    if found is None:
        return None
    value = found[0]
    if ctx.min_value is not None and value < ctx.min_value:
        return None
    if ctx.max_value is not None and value > ctx.max_value:
        return None
    return SlotValue(value, _say_number(value))
