"""A datetime ask with ``business_hours: true`` takes only a time when the tenant is open,
and says why another time does not work, driven through the flow machine in text mode."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from agent.config import ROOT
from agent.errors import FlowLoadError
from agent.flow import FlowMachine, ListSink, Reprompt, Say, TemplateContext, TenantInfo
from agent.flow.load import parse_flow
from agent.flow.opening import OpeningHours, say_time
from agent.tenants.check import check_tenant
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
    hours = TemplateContext.for_tenant(tenant).hours
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
