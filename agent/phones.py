"""Phone numbers as a voice says them, and the country a business dials from.

Both the flow (a caller's number read back) and the knowledge base (a number written in
a document) speak phone numbers; this module is the one place that knows how. Parsing,
grouping and finding numbers in text are libphonenumber's (``phonenumbers``); what is
added is the spoken form: digit by digit, in the groups the country writes them in,
without the country code when the number is the business's own country's::

    say_number("+12125550142", "US")  ->  "2 1 2, 5 5 5, 0 1 4 2"
    say_number("+447700900123", "US") ->  "plus 4 4, 7 7 0 0, 9 0 0, 1 2 3"

A business's country (ISO 3166-1 alpha-2, "US") is its ``country`` setting, else the
country of its timezone (the tz database's ``zone.tab``), else its language's region
("en-GB"): :func:`region_for`.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat

MAX_GROUP = 5  # digits said in one breath; a longer group is cut into even parts


def calling_code(region: str | None) -> str | None:
    """The country calling code of ``region`` ("US" -> "1", "GB" -> "44"), or None."""
    if not region:
        return None
    code = phonenumbers.country_code_for_region(region.upper())
    return str(code) if code else None


def is_region(region: str) -> bool:
    """Whether libphonenumber knows ``region`` (an ISO 3166-1 alpha-2 code)."""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def region_for(country: str | None, timezone: str, language: str) -> str | None:
    """The business's country: ``country`` if given, else its timezone's, else its
    language's region ("en-US" -> "US"), else None."""
    if country:
        return country.upper()
    by_zone = zone_countries().get(timezone)
    if by_zone:
        return by_zone
    _, _, tail = language.replace("_", "-").partition("-")
    tail = tail.split("-")[0].upper()
    return tail if len(tail) == 2 and is_region(tail) else None


@cache
def zone_countries() -> dict[str, str]:
    """Timezone -> country, from the tz database's ``zone.tab`` (the ``tzdata`` package,
    else the system's). A zone shared by several countries is left out."""
    text = _zone_tab()
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3 and len(fields[0]) == 2:
            found[fields[2]] = fields[0]
    return found


def _zone_tab() -> str:
    try:
        return (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        system = Path("/usr/share/zoneinfo/zone.tab")
        return system.read_text(encoding="utf-8") if system.is_file() else ""


def say_number(number: str | PhoneNumber, region: str | None) -> str:
    """A phone number as it is read out: digit by digit, in groups; the national form
    when it is ``region``'s own number, else "plus" and the country code first. A string
    that libphonenumber cannot parse is said in groups of three and four."""
    parsed = number if isinstance(number, PhoneNumber) else _parse(number, region)
    if parsed is None:
        digits = re.sub(r"\D", "", str(number))
        return _say_groups(_split_plain(digits))
    if region is not None and str(parsed.country_code) == calling_code(region):
        # the business's own country (or a local number with no area code, which no
        # region claims): said as the country writes it at home
        formatted = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
        return _say_groups(re.findall(r"\d+", formatted))
    formatted = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
    code, *rest = re.findall(r"\d+", formatted)
    return "plus " + _say_groups([code, *rest])


def _parse(number: str, region: str | None) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(number, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None


def is_dialable(number: str) -> bool:
    """``number`` is an E.164 number (``+`` and digits) that libphonenumber knows as
    a possible number of some country."""
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", number):
        return False
    parsed = _parse(number, None)
    return parsed is not None and phonenumbers.is_possible_number(parsed)


def _split_plain(digits: str) -> list[str]:
    """Groups of three from the left, the last four together: "2094601234" ->
    "209", "460", "1234"."""
    groups, rest = [digits[-4:]], digits[:-4]
    while rest:
        groups, rest = [rest[-3:], *groups], rest[:-3]
    if len(groups) > 2 and len(groups[0]) == 1:
        groups[:2] = [groups[0] + groups[1]]
    return groups


def _say_groups(groups: list[str]) -> str:
    """Digits spaced out, groups apart: a group longer than :data:`MAX_GROUP` is said in
    parts of three or four, the longer ones last ("900123" -> "9 0 0, 1 2 3")."""
    said: list[str] = []
    for group in filter(None, groups):
        if len(group) <= MAX_GROUP:
            said.append(group)
            continue
        parts = -(-len(group) // 4)
        sizes = [len(group) // parts + (i < len(group) % parts) for i in range(parts)][::-1]
        starts = [sum(sizes[:i]) for i in range(parts)]
        said += [group[start : start + size] for start, size in zip(starts, sizes, strict=True)]
    return ", ".join(" ".join(group) for group in said)


def speak_numbers(text: str, region: str | None) -> str:
    """``text`` with every phone number in it spelled for a voice ("Call 555-0142" ->
    "Call 5 5 5, 0 1 4 2"), so that a synthesizer reads neither a range ("555 to 0142")
    nor an amount ("five hundred and fifty-five"). Found by libphonenumber's matcher for
    ``region`` (at its lenient "possible" level: local numbers without an area code,
    such as 555-0142, are found too)."""
    if not re.search(r"\d{3}", text):
        return text
    matcher = phonenumbers.PhoneNumberMatcher(
        text, (region or "ZZ").upper(), leniency=phonenumbers.Leniency.POSSIBLE
    )
    out, last = [], 0
    for match in matcher:
        out.append(text[last : match.start])
        out.append(say_number(match.number, region))
        last = match.end
    return "".join(out) + text[last:] if out else text
