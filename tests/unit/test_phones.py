"""Phone numbers as a voice says them (agent.phones): digit by digit, in the groups the
country writes them in, without the country code at home; found in documents' text."""

from __future__ import annotations

import pytest

from agent.knowledge.speech import speakable
from agent.phones import calling_code, region_for, say_number, speak_numbers

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("number", "region", "said"),
    [
        ("+12125550142", "US", "2 1 2, 5 5 5, 0 1 4 2"),
        ("+16465550123", "US", "6 4 6, 5 5 5, 0 1 2 3"),
        ("+447700900123", "GB", "0 7 7 0 0, 9 0 0, 1 2 3"),
        ("+442094601234", "GB", "0 2 0, 9 4 6 0, 1 2 3 4"),
        ("+447700900123", "US", "plus 4 4, 7 7 0 0, 9 0 0, 1 2 3"),  # a foreign number
        ("+12125550142", "GB", "plus 1, 2 1 2, 5 5 5, 0 1 4 2"),
        ("+12125550142", None, "plus 1, 2 1 2, 5 5 5, 0 1 4 2"),  # no country known
        ("5550142", "US", "5 5 5, 0 1 4 2"),  # a local number, no area code
        ("2094601234", None, "2 0 9, 4 6 0, 1 2 3 4"),  # cannot be parsed: plain groups
    ],
)
def test_say_number(number: str, region: str | None, said: str) -> None:
    assert say_number(number, region) == said


@pytest.mark.parametrize(
    ("text", "region", "spoken"),
    [
        ("For emergencies call 555-0142.", "US", "For emergencies call 5 5 5, 0 1 4 2."),
        ("Front desk: (212) 555-0100", "US", "Front desk: 2 1 2, 5 5 5, 0 1 0 0"),
        ("Call 1-800-555-0199 toll free", "US", "Call 8 0 0, 5 5 5, 0 1 9 9 toll free"),
        ("Ring 0117 946 0000", "GB", "Ring 0 1 1 7, 9 4 6, 0 0 0 0"),
        ("Abroad: +44 20 7123 4567", "US", "Abroad: plus 4 4, 2 0, 7 1 2 3, 4 5 6 7"),
        # not phone numbers: left for the other readers
        ("Open 9-5, rooms 12-14, since 1998, $120-150", "US", None),
        ("On 2026-01-02 and 12/03", "US", None),
    ],
)
def test_speak_numbers(text: str, region: str, spoken: str | None) -> None:
    assert speak_numbers(text, region) == (spoken or text)


def test_a_document_number_is_not_read_as_a_range_or_a_time() -> None:
    assert speakable("Emergency line: 555-0142", region="US") == "Emergency line: 5 5 5, 0 1 4 2."
    assert speakable("Mon–Fri 08:00–18:00", region="US") == "Monday to Friday 8 a.m. to 6 p.m."


@pytest.mark.parametrize(
    ("country", "timezone", "language", "region"),
    [
        ("US", "Europe/London", "en-GB", "US"),  # said explicitly: it wins
        (None, "America/New_York", "en-GB", "US"),  # else the timezone's country
        (None, "Europe/London", "en-US", "GB"),
        (None, "UTC", "en-AU", "AU"),  # else the language's region
        (None, "UTC", "en", None),
    ],
)
def test_region_for(country: str | None, timezone: str, language: str, region: str | None) -> None:
    assert region_for(country, timezone, language) == region


def test_calling_code() -> None:
    assert (calling_code("US"), calling_code("GB"), calling_code(None)) == ("1", "44", None)
