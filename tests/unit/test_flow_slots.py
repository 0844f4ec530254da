"""Slot extraction: what callers say (as STT writes it) becomes typed values, or None."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.flow.model import AskType
from agent.flow.slots import (
    EXTRACTORS,
    SlotContext,
    SlotValue,
    extract_datetime,
    extract_email,
    extract_name,
    extract_number,
    extract_phone,
    extract_text,
    hints_for_type,
    read_number,
    words,
)

pytestmark = pytest.mark.unit

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 3, 12, 15, 0, tzinfo=LONDON)  # a Wednesday afternoon
CTX = SlotContext(now=NOW, timezone=LONDON)


def local(value: SlotValue | None) -> str | None:
    """The extracted datetime as "YYYY-MM-DD HH:MM" in London time."""
    if value is None:
        return None
    assert isinstance(value.value, datetime)
    assert value.value.tzinfo is not None
    return value.value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


# --- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eight", 8),
        ("8", 8),
        ("twenty two", 22),
        ("twenty-two", 22),
        ("a dozen", 12),
        ("two dozen", 24),
        ("half a dozen", 6),
        ("a couple", 2),
        ("two hundred and five", 205),
        ("a hundred", 100),
        ("three thousand four hundred and twelve", 3412),
        ("1,200", 1200),
        ("8 people", 8),
        ("party of six", 6),
        ("uh we're a party of 6 tonight", 6),
        ("just the two of us", 2),
        ("table for eleven please", 11),
        ("nineteen", 19),
        ("zero", 0),
        ("two point five", 2.5),
        ("2.5", 2.5),
        ("ninety nine", 99),
        ("six and seven", 6),  # the first number said
        ("two three", 2),  # digits said one by one are not one number
    ],
)
def test_number(text: str, expected: int | float) -> None:
    found = extract_number(text, CTX)
    assert found is not None
    assert found.value == expected
    assert type(found.value) is type(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no",
        "lots of people",
        "a table",
        "i don't know",
        "a few of us",
        "me and my wife",
        "one moment",  # asks the agent to wait
        "give me two secs",
    ],
)
def test_number_rejects(text: str) -> None:
    assert extract_number(text, CTX) is None


@pytest.mark.parametrize(
    ("text", "accepted"),
    [("one", False), ("two", True), ("eight", True), ("twelve", True), ("thirteen", False)],
)
def test_number_min_max(text: str, accepted: bool) -> None:
    ctx = SlotContext(now=NOW, min_value=2, max_value=12)
    assert (extract_number(text, ctx) is not None) is accepted


def test_number_display() -> None:
    assert extract_number("twenty two", CTX) == SlotValue(22, "22")
    assert extract_number("two point five", CTX) == SlotValue(2.5, "2.5")


def test_read_number_reports_where_it_stopped() -> None:
    said = words("two hundred and five people")
    assert read_number(said, 0) == (205, 4)
    assert read_number(said, 4) is None


def test_words_normalize_speech() -> None:
    assert words("At 7 P.M. o'clock, 1,000 Guests") == ["at", "7", "pm", "oclock", "1000", "guests"]
    assert words("the 14th at 7:30") == ["the", "14th", "at", "7:30"]


# --- dates and times --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "display"),
    [
        ("tomorrow at seven", "2025-03-13 07:00", "tomorrow at 7 am"),  # 7-11: am by default
        ("today at 7 pm", "2025-03-12 19:00", "today at 7 pm"),
        ("at half past six", "2025-03-12 18:30", "today at 6:30 pm"),  # 1-6: pm
        ("friday at noon", "2025-03-14 12:00", "Friday the 14th at noon"),
        ("next tuesday 6:30", "2025-03-18 18:30", "Tuesday the 18th at 6:30 pm"),
        ("on the 14th at 8", "2025-03-14 08:00", "Friday the 14th at 8 am"),
        ("in two hours", "2025-03-12 17:00", "today at 5 pm"),
        ("tonight at eight", "2025-03-12 20:00", "today at 8 pm"),
        ("7 in the evening", "2025-03-12 19:00", "today at 7 pm"),
        ("at seven", "2025-03-12 19:00", "today at 7 pm"),  # 7 am has passed, 7 pm has not
        ("at nine", "2025-03-12 21:00", "today at 9 pm"),
        ("at 2", "2025-03-13 14:00", "tomorrow at 2 pm"),  # 2 pm has passed today
        ("at 4", "2025-03-12 16:00", "today at 4 pm"),
        ("quarter to eight tomorrow", "2025-03-13 07:45", "tomorrow at 7:45 am"),
        ("a quarter past seven tomorrow evening", "2025-03-13 19:15", "tomorrow at 7:15 pm"),
        ("at ten past seven tonight", "2025-03-12 19:10", "today at 7:10 pm"),
        ("twenty to eight tonight", "2025-03-12 19:40", "today at 7:40 pm"),
        ("seven thirty p.m.", "2025-03-12 19:30", "today at 7:30 pm"),
        ("seven oh five pm", "2025-03-12 19:05", "today at 7:05 pm"),
        ("six forty five", "2025-03-12 18:45", "today at 6:45 pm"),
        ("19:30", "2025-03-12 19:30", "today at 7:30 pm"),
        ("at 8 o'clock tomorrow", "2025-03-13 08:00", "tomorrow at 8 am"),
        ("tomorrow morning at 9", "2025-03-13 09:00", "tomorrow at 9 am"),
        ("tomorrow at 9 in the morning", "2025-03-13 09:00", "tomorrow at 9 am"),
        ("this evening at 8", "2025-03-12 20:00", "today at 8 pm"),
        ("at midnight", "2025-03-13 00:00", "tomorrow at midnight"),
        ("the day after tomorrow at noon", "2025-03-14 12:00", "Friday the 14th at noon"),
        ("march 20th at 7:30 pm", "2025-03-20 19:30", "Thursday the 20th at 7:30 pm"),
        ("the 3rd of april at 1", "2025-04-03 13:00", "Thursday the 3rd of April at 1 pm"),
        ("april third at one", "2025-04-03 13:00", "Thursday the 3rd of April at 1 pm"),
        ("the fourteenth at eight o'clock", "2025-03-14 08:00", "Friday the 14th at 8 am"),
        ("the twenty first at 6", "2025-03-21 18:00", "Friday the 21st at 6 pm"),
        ("the 2nd at 6", "2025-04-02 18:00", "Wednesday the 2nd of April at 6 pm"),  # rolls
        ("march 1st at 7 pm", "2026-03-01 19:00", "Sunday the 1st of March at 7 pm"),  # next year
        ("in half an hour", "2025-03-12 15:30", "today at 3:30 pm"),
        ("in 45 minutes", "2025-03-12 15:45", "today at 3:45 pm"),
        ("in a couple of hours", "2025-03-12 17:00", "today at 5 pm"),
        ("in 3 days at 10 am", "2025-03-15 10:00", "Saturday the 15th at 10 am"),
        ("friday, no, saturday at 7 pm", "2025-03-15 19:00", "Saturday the 15th at 7 pm"),
        ("wednesday at 2", "2025-03-19 14:00", "Wednesday the 19th at 2 pm"),  # today has passed
        ("wednesday at 6", "2025-03-12 18:00", "today at 6 pm"),  # today is still ahead
        ("next wednesday at 6", "2025-03-19 18:00", "Wednesday the 19th at 6 pm"),
        ("six", "2025-03-12 18:00", "today at 6 pm"),  # a bare hour as the whole answer
        ("party of six at seven", "2025-03-12 19:00", "today at 7 pm"),  # "at" marks the time
        ("uh tomorrow at um seven", "2025-03-13 07:00", "tomorrow at 7 am"),
        ("Tomorrow at 7:30PM.", "2025-03-13 19:30", "tomorrow at 7:30 pm"),
        ("tomorrow for the two of us at 7 pm", "2025-03-13 19:00", "tomorrow at 7 pm"),
        # a weekday and a date that agree: that date; the next month's when this one's is not
        ("friday the 14th at noon", "2025-03-14 12:00", "Friday the 14th at noon"),
        ("sunday the 20th at noon", "2025-04-20 12:00", "Sunday the 20th of April at noon"),
        (
            "saturday the 3rd of may at 10 am",
            "2025-05-03 10:00",
            "Saturday the 3rd of May at 10 am",
        ),
    ],
)
def test_datetime(text: str, expected: str, display: str) -> None:
    found = extract_datetime(text, CTX)
    assert local(found) == expected
    assert found is not None
    assert found.display == display


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow at seven", "2025-03-13 19:00"),
        ("at nine", "2025-03-12 21:00"),
        ("friday at 11", "2025-03-14 23:00"),
        ("tomorrow at 7 am", "2025-03-13 07:00"),  # said am: taken as said
        ("tomorrow at noon", "2025-03-13 12:00"),
    ],
)
def test_datetime_for_a_tenant_that_opens_at_noon(text: str, expected: str) -> None:
    ctx = SlotContext(now=NOW, timezone=LONDON, earliest_hour=12)
    assert local(extract_datetime(text, ctx)) == expected


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        (datetime(2025, 3, 12, 22, 0, tzinfo=LONDON), "at seven", "2025-03-13 07:00"),
        (datetime(2025, 3, 12, 22, 0, tzinfo=LONDON), "at 9 pm", "2025-03-13 21:00"),
        (datetime(2025, 3, 14, 13, 0, tzinfo=LONDON), "friday at noon", "2025-03-21 12:00"),
        (datetime(2025, 3, 14, 11, 0, tzinfo=LONDON), "friday at noon", "2025-03-14 12:00"),
        (datetime(2025, 3, 14, 11, 0, tzinfo=LONDON), "next friday at noon", "2025-03-21 12:00"),
        (datetime(2025, 1, 30, 9, 0, tzinfo=LONDON), "the 30th at 6", "2025-01-30 18:00"),
        (datetime(2025, 1, 31, 9, 0, tzinfo=LONDON), "the 30th at 6", "2025-03-30 18:00"),  # Feb
        (datetime(2025, 12, 31, 9, 0, tzinfo=LONDON), "tomorrow at 8 pm", "2026-01-01 20:00"),
        (datetime(2025, 3, 30, 0, 30, tzinfo=LONDON), "in two hours", "2025-03-30 03:30"),  # DST
        (datetime(2025, 3, 12, 15, 0, tzinfo=UTC), "today at 7 pm", "2025-03-12 19:00"),  # any tz
    ],
)
def test_datetime_rolls_to_the_next_occurrence(now: datetime, text: str, expected: str) -> None:
    assert local(extract_datetime(text, SlotContext(now=now, timezone=LONDON))) == expected


def test_datetime_is_in_the_tenant_timezone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    found = extract_datetime("tomorrow at 7 pm", SlotContext(now=NOW, timezone=tokyo))
    assert found is not None
    assert found.value == datetime(2025, 3, 14, 19, 0, tzinfo=tokyo)  # Tokyo is on the 13th
    assert found.display == "tomorrow at 7 pm"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tomorrow",  # a day without a time: the flow asks for the time
        "friday",
        "tonight",
        "today at 7 am",  # already past, and said as am
        "today at 2 pm",
        "christmas",
        "whenever suits you",
        "for six people tomorrow",  # six people is not a time
        "at 25",
        "at 7:75",
        "in 5000 days",
        "the 32nd at 7",
        "one moment",  # a caller asking the agent to wait, not one o'clock
        "hold on two minutes",
        "saturday the 14th at noon",  # the 14th is a Friday, and a Monday next month
        "monday march 20th at 7 pm",  # a Thursday this year, a Friday the next
    ],
)
def test_datetime_rejects(text: str) -> None:
    assert extract_datetime(text, CTX) is None


def test_relative_times_are_aware_and_rounded_to_the_minute() -> None:
    now = datetime(2025, 3, 12, 15, 7, 42, 123, tzinfo=LONDON)
    found = extract_datetime("in 20 minutes", SlotContext(now=now, timezone=LONDON))
    assert found is not None
    assert found.value == datetime(2025, 3, 12, 15, 27, tzinfo=LONDON)


# --- email ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("john dot smith at example dot com", "john.smith@example.com"),
        ("j o h n at gmail dot com", "john@gmail.com"),
        ("John.Smith@Example.com", "john.smith@example.com"),
        ("you can reach me at jane@shop.co.uk thanks", "jane@shop.co.uk"),
        (
            "my email is jane underscore doe at outlook dot co dot uk please",
            "jane_doe@outlook.co.uk",
        ),
        ("it's pat at gmail dot com", "pat@gmail.com"),
        ("sure it's bob seven at yahoo dot com", "bob7@yahoo.com"),
        ("mary dash ann at example dot org thanks", "mary-ann@example.org"),
        ("my email address is info at crumb hyphen co dot com", "info@crumb-co.com"),
        ("j smith at g mail dot com", "jsmith@gmail.com"),
        ("john at sign example dot com", "john@example.com"),
        ("you can email me at john at gmail dot com", "john@gmail.com"),
    ],
)
def test_email(text: str, expected: str) -> None:
    found = extract_email(text, CTX)
    assert found is not None
    assert found.value == expected


def test_email_display_is_spoken() -> None:
    found = extract_email("jane_doe@outlook.co.uk", CTX)
    assert found == SlotValue(
        "jane_doe@outlook.co.uk", "jane underscore doe at outlook dot co dot uk"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no",
        "i don't have one",
        "john at gmail",  # no top-level domain
        "john dot smith",  # no at
        "at gmail dot com",  # nothing before the at
        "email me at x dot y",  # one-letter top-level domain
        "john at dot com",
        "a" * 65 + " at example dot com",  # local part over 64 characters
    ],
)
def test_email_rejects(text: str) -> None:
    assert extract_email(text, CTX) is None


# --- phone ------------------------------------------------------------------------------

UK = SlotContext(now=NOW, default_country_code="44")
US = SlotContext(now=NOW, default_country_code="+1")


@pytest.mark.parametrize(
    ("text", "ctx", "expected"),
    [
        ("oh seven seven zero zero nine double oh one two three", CTX, "07700900123"),
        ("oh seven seven zero zero nine double oh one two three", UK, "+447700900123"),
        ("07700 900123", UK, "+447700900123"),
        ("07700-900-123", UK, "+447700900123"),
        ("+44 7700 900123", CTX, "+447700900123"),
        ("+44 7700 900123", US, "+447700900123"),  # an explicit code wins
        ("0044 7700 900123", CTX, "+447700900123"),
        ("44 7700 900123", UK, "+447700900123"),  # said with its code, no plus
        ("plus four four seven seven zero zero nine zero zero one two three", CTX, "+447700900123"),
        ("plus one four one five five five five two six seven one", CTX, "+14155552671"),
        ("(415) 555-2671", US, "+14155552671"),
        ("1 415 555 2671", US, "+14155552671"),
        ("my number is five five five twelve thirty four", CTX, "5551234"),
        ("triple five one two one two", CTX, "5551212"),
        ("um oh seven seven uh zero zero nine zero zero one two three", UK, "+447700900123"),
        ("eight hundred five five five one two one two", US, "+18005551212"),
        ("i have 2 kids and my number is 07700 900123", UK, "+447700900123"),  # longest run
    ],
)
def test_phone(text: str, ctx: SlotContext, expected: str) -> None:
    found = extract_phone(text, ctx)
    assert found is not None
    assert found.value == expected


def test_phone_display_reads_digits_in_groups() -> None:
    # a number of the business's own country is read back as it is written at home
    found = extract_phone("07700 900123", UK)
    assert found is not None
    assert found.display == "0 7 7 0 0, 9 0 0, 1 2 3"
    us = extract_phone("two one two five five five zero one four two", US)
    assert us is not None
    assert (us.value, us.display) == ("+12125550142", "2 1 2, 5 5 5, 0 1 4 2")
    # a foreign one with its country code first
    foreign = extract_phone("+44 7700 900123", US)
    assert foreign is not None
    assert foreign.display == "plus 4 4, 7 7 0 0, 9 0 0, 1 2 3"
    local_number = extract_phone("07700 900123", CTX)
    assert local_number is not None
    assert local_number.display == "0 7 7 0, 0 9 0, 0 1 2 3"
    short = extract_phone("555 1234", CTX)
    assert short is not None
    assert short.display == "5 5 5, 1 2 3 4"


@pytest.mark.parametrize(
    "text",
    ["", "no", "i don't know", "123", "five five five one two", "1234567890123456", "plus"],
)
def test_phone_rejects(text: str) -> None:
    assert extract_phone(text, CTX) is None
    assert extract_phone(text, UK) is None


# --- names and text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my name is jane doe", "Jane Doe"),
        ("it's jane", "Jane"),
        ("it\u2019s jane", "Jane"),
        ("this is john smith", "John Smith"),
        ("jane", "Jane"),
        ("JANE DOE.", "Jane Doe"),
        ("i'm mary-jane o'brien", "Mary-Jane O'Brien"),
        ("my name's jane and i'd like to book a table", "Jane"),
        ("no it's pat", "Pat"),
        ("yes this is ann calling", "Ann"),
        ("you can call me al", "Al"),
        ("name is jean luc picard", "Jean Luc Picard"),
    ],
)
def test_name(text: str, expected: str) -> None:
    assert extract_name(text, CTX) == SlotValue(expected, expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yes",
        "no",
        "okay",
        "8",
        "twenty two",
        "hello",
        "i don't know",
        "what",
        "um",
        "sorry can you repeat that",
        "my name is",
        "it's 42",
        "a b c d e",  # five words: a sentence, not a name
        "hold on",
        "wait a moment",
    ],
)
def test_name_rejects(text: str) -> None:
    assert extract_name(text, CTX) is None


def test_text() -> None:
    assert extract_text("  I'd like   a cake\n for Saturday ", CTX) == SlotValue(
        "I'd like a cake for Saturday", "I'd like a cake for Saturday"
    )
    assert extract_text(" \n ", CTX) is None
    assert extract_text("We'd like bread.", CTX) == SlotValue("We'd like bread", "We'd like bread")


@pytest.mark.parametrize(
    ("said", "named"),
    [
        ("The business is called Hackney Coffee.", "Hackney Coffee"),
        ("our company is called Hatch Coworking", "Hatch Coworking"),
        ("it's called the corner shop", "the corner shop"),
        ("we\u2019re called Bloom", "Bloom"),
        ("the company name is Acme Ltd", "Acme Ltd"),
        ("my business is Rye and Co", "Rye and Co"),
        ("Hatch Coworking", "Hatch Coworking"),
        ("it's a cafe with forty seats", "it's a cafe with forty seats"),  # not a naming
    ],
)
def test_text_leaves_out_a_naming_lead_in(said: str, named: str) -> None:
    assert extract_text(said, CTX) == SlotValue(named, named)


# --- registry, hints and context --------------------------------------------------------


def test_every_typed_slot_has_an_extractor() -> None:
    assert set(EXTRACTORS) == set(AskType) - {AskType.YES_NO, AskType.CHOICE}
    samples = {
        AskType.NUMBER: "party of six",
        AskType.DATETIME: "tomorrow at 7 pm",
        AskType.DATE: "next friday",
        AskType.EMAIL: "jane at example dot com",
        AskType.PHONE: "07700 900123",
        AskType.NAME: "my name is jane",
        AskType.TEXT: "anything at all",
    }
    for slot_type, extractor in EXTRACTORS.items():
        assert isinstance(extractor(samples[slot_type], CTX), SlotValue), slot_type
    with pytest.raises(TypeError):
        EXTRACTORS[AskType.YES_NO] = extract_text  # type: ignore[index]


@pytest.mark.parametrize(
    ("slot_type", "expected"),
    [
        (AskType.NUMBER, ("eight", "a dozen")),
        (AskType.PHONE, ("zero", "oh", "double")),
        (AskType.DATETIME, ("tomorrow", "friday", "a m", "p m")),
        (AskType.EMAIL, ("at", "dot")),
        (AskType.NAME, ("my name is",)),
    ],
)
def test_hints_for_type(slot_type: AskType, expected: tuple[str, ...]) -> None:
    hints = hints_for_type(slot_type)
    assert set(expected) <= set(hints)
    assert len(hints) == len(set(hints))


def test_no_hints_for_free_text_or_matched_types() -> None:
    assert hints_for_type(AskType.TEXT) == ()
    assert hints_for_type(AskType.YES_NO) == ()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"now": datetime(2025, 3, 12, 15, 0)}, "timezone-aware"),
        ({"default_country_code": "044"}, "country code"),
        ({"default_country_code": "uk"}, "country code"),
        ({"earliest_hour": 0}, "earliest_hour"),
        ({"earliest_hour": 13}, "earliest_hour"),
        ({"min_value": 5, "max_value": 2}, "min_value"),
    ],
)
def test_slot_context_is_checked(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlotContext(**{"now": NOW, **kwargs})  # type: ignore[arg-type]


def test_slot_context_local_now() -> None:
    ctx = SlotContext(now=NOW.astimezone(UTC) + timedelta(hours=1), timezone=LONDON)
    assert ctx.local_now.tzinfo is LONDON
    assert ctx.local_now.hour == 16


def test_extractors_never_raise_and_never_return_the_past() -> None:
    """A seeded word soup from every vocabulary the parsers know."""
    vocab = (
        "at", "in", "the", "a", "an", "of", "and", "point", "half", "quarter", "past", "to",
        "am", "pm", "o'clock", "oh", "double", "plus", "+", "dot", "underscore", "@", "noon",
        "midnight", "today", "tomorrow", "tonight", "next", "this", "day", "after", "minutes",
        "hours", "days", "morning", "evening", "hundred", "thousand", "dozen", "couple",
        "people", "my", "name", "is", "it's", "yes", "no", "7:30", "25:99", "14th", "32nd",
        "0", "00", "1,000", "2.5", "-", ".", "friday", "march", "may", "twenty", "one",
        "seven", "twelve", "first", "twenty-first", "thirtieth", "ninety",
    )  # fmt: skip
    rng = random.Random(7)
    new_york = ZoneInfo("America/New_York")
    for _ in range(1500):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 10)))
        now = datetime(
            2024, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), tzinfo=new_york
        )
        ctx = SlotContext(now=now, timezone=new_york, earliest_hour=rng.randint(1, 12))
        for slot_type, extractor in EXTRACTORS.items():
            found = extractor(text, ctx)
            if slot_type is AskType.DATETIME and found is not None:
                assert isinstance(found.value, datetime)
                assert found.value > now, text
