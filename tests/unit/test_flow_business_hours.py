"""A datetime ask with ``business_hours: true`` takes only a time when the tenant is open,
and says why another time does not work, driven through the flow machine in text mode."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from agent.config import ROOT
from agent.errors import FlowLoadError, TenantError
from agent.flow import FlowMachine, ListSink, Reprompt, Say, TemplateContext, TenantInfo
from agent.flow.load import parse_flow
from agent.flow.opening import Day, OpeningHours, SpecialDay, say_time
from agent.tenants.check import check_tenant
from agent.tenants.context import template_context
from agent.tenants.load import load_tenant

pytestmark = pytest.mark.unit

FLOW = """\
version: 1
id: table
start: when
nodes:
  when:
    kind: ask
    prompt: What day and time?
    reprompts: ["Sorry, which day and time?"]
    slot: at
    type: datetime
    business_hours: true
    transitions:
      - {when: always, to: booked}
      - {when: retries_exhausted, to: sorry}
  booked:
    kind: end
    text: See you {{ slots.at }}.
  sorry:
    kind: end
    text: Please call us back.
"""

BAKERY = OpeningHours(
    (
        None,  # Monday: closed
        *((time(7, 30), time(18)),) * 4,
        (time(8), time(17)),
        (time(9), time(14)),
    )
)
TUESDAY_9AM = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)


def machine(hours: OpeningHours | None = BAKERY, text: str = FLOW) -> tuple[FlowMachine, ListSink]:
    sink = ListSink()
    context = TemplateContext(TenantInfo(name="Crumb & Co", timezone="UTC"), hours=hours)
    m = FlowMachine(parse_flow(text), context, sink=sink, clock=lambda: TUESDAY_9AM)
    m.start()
    return m, sink


def said(m: FlowMachine, text: str) -> list[str]:
    return [a.text for a in m.on_user_text(text) if isinstance(a, Say)]


def test_a_closed_day_is_explained_and_another_time_asked() -> None:
    m, sink = machine()
    assert said(m, "monday at noon") == [
        "Sorry, we're closed on Mondays. What other day or time would suit you?"
    ]
    assert m.state.current == "when" and "at" not in m.state.slots
    (reprompt,) = [e for e in sink.events if isinstance(e, Reprompt)]
    assert (reprompt.reason, reprompt.attempt) == ("outside_hours", 1)


def test_a_time_outside_the_days_hours_gives_that_days_hours() -> None:
    m, _ = machine()
    assert said(m, "saturday at seven in the evening")[0].startswith(
        "Sorry, on Saturdays we're open from 8 a.m. to 5 p.m. What other"
    )
    assert said(m, "wednesday at seven in the morning")[0].startswith(
        "Sorry, on Wednesdays we're open from 7:30 a.m. to 6 p.m. What other"
    )
    said(m, "wednesday at half past seven in the morning")  # opening time: open
    assert m.state.path[-1] == "booked"
    assert m.state.slots["at"] == "2026-01-07T07:30:00+00:00"


def test_closing_time_itself_is_closed() -> None:
    m, _ = machine()
    assert said(m, "tomorrow at six in the evening")[0].startswith("Sorry, on Wednesdays")


def test_times_outside_the_hours_count_as_retries_until_the_ask_gives_up() -> None:
    m, _ = machine()
    for attempt in ("monday at ten", "sunday at five in the afternoon"):
        said(m, attempt)
    assert said(m, "monday at noon") == ["Please call us back."]
    assert m.state.path[-1] == "sorry"


def test_without_hours_nothing_is_checked() -> None:
    m, _ = machine(hours=None)
    said(m, "monday at noon")
    assert m.state.path[-1] == "booked"


def test_the_question_after_the_hours_is_the_flows_own() -> None:
    text = FLOW.replace(
        "    business_hours: true\n",
        "    business_hours: true\n    outside_hours: When else would you like to come?\n",
    )
    m, _ = machine(text=text)
    assert said(m, "monday at noon") == [
        "Sorry, we're closed on Mondays. When else would you like to come?"
    ]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("    type: number\n    business_hours: true\n", "only applies to type 'datetime'"),
        ("    type: datetime\n    outside_hours: When else?\n", "needs 'business_hours: true'"),
    ],
)
def test_the_options_are_checked_when_the_flow_loads(option: str, message: str) -> None:
    text = FLOW.replace("    type: datetime\n    business_hours: true\n", option)
    with pytest.raises(FlowLoadError, match=message):
        parse_flow(text)


def test_spoken_times() -> None:
    assert [say_time(t) for t in (time(8), time(7, 30), time(12), time(0), time(18, 15))] == [
        "8 a.m.",
        "7:30 a.m.",
        "noon",
        "midnight",
        "6:15 p.m.",
    ]
    assert OpeningHours.from_spans([None] * 7) is None  # no hours given
    with pytest.raises(ValueError, match="7 days"):
        OpeningHours((None,) * 6)


def test_the_shipped_bakery_hours_reach_the_flow() -> None:
    tenant = load_tenant(ROOT / "tenants", "crumb-and-co")
    hours = template_context(tenant).hours
    assert hours is not None
    assert hours.closed_at(datetime(2026, 1, 5, 12)) == "Sorry, we're closed on Mondays."


def test_tenant_check_wants_hours_when_a_flow_books_within_them(tmp_path: Path) -> None:
    tenant_dir = tmp_path / "tenants" / "no-hours"
    tenant_dir.mkdir(parents=True)
    (tenant_dir / "tenant.yaml").write_text("name: No Hours\nflow: table\n")
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "table.yaml").write_text(FLOW)
    tenant = load_tenant(tmp_path / "tenants", "no-hours")
    (problem,) = check_tenant(tenant, flows)
    assert "hours:" in problem and "node 'when'" in problem, problem
    (tenant_dir / "tenant.yaml").write_text(
        'name: No Hours\nflow: table\nhours: {sat: "10:00-16:00"}\n'
    )
    assert check_tenant(load_tenant(tmp_path / "tenants", "no-hours"), flows) == []


# --- notes, public holidays and exceptional days ---------------------------------------

CLINIC = OpeningHours(
    (
        *(Day((time(8), time(18))),) * 4,
        Day((time(8), time(16))),
        Day((time(9), time(13)), "emergencies only", appointments=False),
        Day(None, "for emergencies call 5 5 5, 0 1 4 2"),
    ),
    special=(
        SpecialDay(
            date(2026, 12, 24), date(2026, 12, 24), Day((time(8), time(12)), "Christmas Eve")
        ),
        SpecialDay(date(2026, 8, 10), date(2026, 8, 14), Day(None, "our staff training week")),
    ),
    holiday=lambda day: "Thanksgiving Day" if day == date(2026, 11, 26) else None,
)  # fmt: skip


@pytest.mark.parametrize(
    ("at", "said"),
    [
        (datetime(2026, 11, 21, 10), "Sorry, on Saturdays we're open from 9 a.m. to 1 p.m., "
         "emergencies only."),  # open, but no appointments: the note says why
        (datetime(2026, 11, 22, 10), "Sorry, we're closed on Sundays, for emergencies call "
         "5 5 5, 0 1 4 2."),
        (datetime(2026, 11, 26, 10), "Sorry, we're closed on Thursday the 26th of November, "
         "for Thanksgiving Day."),
        (datetime(2026, 12, 24, 14), "Sorry, on Thursday the 24th of December we're open "
         "from 8 a.m. to noon, Christmas Eve."),
        (datetime(2026, 8, 12, 10), "Sorry, we're closed on Wednesday the 12th of August, our "
         "staff training week."),
        (datetime(2026, 11, 27, 17), "Sorry, on Fridays we're open from 8 a.m. to 4 p.m."),
    ],
)  # fmt: skip
def test_a_closed_time_is_said_with_the_days_note(at: datetime, said: str) -> None:
    assert CLINIC.closed_at(at, today=date(2026, 1, 6)) == said


def test_open_times_are_taken_even_on_special_days() -> None:
    for at in (datetime(2026, 12, 24, 9), datetime(2026, 11, 25, 17, 30), datetime(2026, 8, 17, 9)):
        assert CLINIC.closed_at(at) is None, at


def test_today_and_tomorrow_are_said_as_such() -> None:
    wednesday = date(2026, 11, 25)
    thanksgiving = CLINIC.closed_at(datetime(2026, 11, 26, 10), today=wednesday)
    assert thanksgiving == "Sorry, we're closed tomorrow, for Thanksgiving Day."
    eve = CLINIC.closed_at(datetime(2026, 12, 24, 13), today=date(2026, 12, 24))
    assert eve == "Sorry, today we're open from 8 a.m. to noon, Christmas Eve."


def test_a_day_without_appointments_and_without_a_note_says_so() -> None:
    hours = OpeningHours((*(Day((time(9), time(17)), appointments=False),) * 7,))
    assert hours.closed_at(datetime(2026, 1, 5, 10)) == (
        "Sorry, we don't take appointments on Mondays."
    )


def test_the_tenants_holidays_and_exceptions_reach_the_ask(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "tenant.yaml").write_text(
        "name: Clinic\nflow: f\ntimezone: America/New_York\n"
        "hours:\n  mon: '08:00-17:00'\n  tue: '08:00-17:00'\n  wed: '08:00-17:00'\n"
        "  thu: '08:00-17:00'\n  fri: '08:00-17:00'\n"
        "  sat: {open: '09:00-12:00', note: emergencies only, appointments: false}\n"
        "  holidays: {only: [Thanksgiving Day]}\n"
        "  exceptions:\n    - {from: 2026-08-10, to: 2026-08-14, note: our training week}\n"
    )
    hours = template_context(load_tenant(tmp_path, "clinic")).hours
    assert hours is not None
    assert hours.closed_at(datetime(2026, 11, 26, 10)) == (
        "Sorry, we're closed on Thursday the 26th of November, for Thanksgiving Day."
    )
    assert hours.closed_at(datetime(2026, 12, 25, 10)) is None  # not in `only`
    assert hours.closed_at(datetime(2026, 8, 11, 10)) == (
        "Sorry, we're closed on Tuesday the 11th of August, our training week."
    )
    assert "emergencies only" in (hours.closed_at(datetime(2026, 8, 22, 10)) or "")


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("  holidays: {only: [Thanksgivin Day]}\n", "did you mean 'Thanksgiving Day'?"),
        ("  holidays: {subdivision: ZZ}\n", "does not have subdivision ZZ"),
        ("  exceptions:\n    - {from: 2026-08-14, to: 2026-08-10}\n", "is before 'from'"),
        ("  exceptions:\n    - {note: x}\n", "needs 'date', or 'from' and 'to'"),
        ("  sat: {open: '9-12'}\n", 'neither "closed" nor'),
        ("  sat: {open: '09:00-12:00', notes: x}\n", "notes: unknown field"),
    ],
)
def test_bad_hours_name_their_line(tmp_path: Path, hours: str, message: str) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "tenant.yaml").write_text(
        f"name: Clinic\nflow: f\ntimezone: America/New_York\nhours:\n{hours}"
    )
    with pytest.raises(TenantError, match=r"tenant\.yaml:[4-7]: ") as caught:
        load_tenant(tmp_path, "clinic")
    assert message in str(caught.value)


def test_holidays_need_a_country(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    # UTC and a language without a region ("en") say nothing of the country
    (folder / "tenant.yaml").write_text("name: S\nflow: f\nlanguage: en\nhours:\n  holidays: {}\n")
    with pytest.raises(TenantError, match="set 'country'"):
        load_tenant(tmp_path, "shop")
    (folder / "tenant.yaml").write_text("name: S\nflow: f\ncountry: GB\nhours:\n  holidays: {}\n")
    hours = template_context(load_tenant(tmp_path, "shop")).hours
    assert hours is None  # no weekly hours: nothing to check against
