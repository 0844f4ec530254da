"""Tenant files: loading, file:line errors, and resolving a room to its tenant."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import ROOT
from agent.errors import TenantError
from agent.record.vocabulary import Source
from agent.tenants import load_tenant, tenant_id_for_room

pytestmark = pytest.mark.unit


def write(tmp_path: Path, body: str, tenant: str = "bakery") -> Path:
    folder = tmp_path / tenant
    folder.mkdir()
    (folder / "tenant.yaml").write_text(body)
    return tmp_path


def test_shipped_tenant_loads() -> None:
    tenant = load_tenant(ROOT / "tenants", "crumb-and-co")
    assert tenant.name == "Crumb & Co"
    assert tenant.config.flow == "receptionist"
    assert str(tenant.tz) == "Europe/London"


def test_typo_in_a_field_is_an_error_with_its_line(tmp_path: Path) -> None:
    root = write(tmp_path, "name: Bakery\nflow: demo_bakery\ntimezon: UTC\n")
    with pytest.raises(TenantError, match=r"tenant\.yaml:3: timezon: unknown field"):
        load_tenant(root, "bakery")


def test_bad_timezone_names_the_line(tmp_path: Path) -> None:
    root = write(tmp_path, "name: Bakery\nflow: demo_bakery\ntimezone: Mars/Olympus\n")
    with pytest.raises(TenantError, match=r"tenant\.yaml:3: timezone: unknown timezone"):
        load_tenant(root, "bakery")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    root = write(tmp_path, "name: Bakery\nflow: [demo_bakery\n")
    with pytest.raises(TenantError, match=r"tenant\.yaml:\d+: invalid YAML"):
        load_tenant(root, "bakery")


def test_unknown_tenant_lists_the_known_ones(tmp_path: Path) -> None:
    root = write(tmp_path, "name: Bakery\nflow: demo_bakery\n")
    with pytest.raises(TenantError, match=r"unknown tenant 'salon'.*known tenants: bakery"):
        load_tenant(root, "salon")
    with pytest.raises(TenantError, match="invalid tenant id"):
        load_tenant(root, "../etc")


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [(None, "default"), ("", "default"), ('{"tenant": "salon"}', "salon"), ("{}", "default")],
)
def test_room_metadata_resolves_the_tenant(metadata: str | None, expected: str) -> None:
    assert tenant_id_for_room(metadata, "default") == expected


@pytest.mark.parametrize("metadata", ["not json", "[1, 2]", '{"tenant": 7}'])
def test_bad_room_metadata_is_refused(metadata: str) -> None:
    with pytest.raises(TenantError):
        tenant_id_for_room(metadata, "default")


def test_typo_suggests_the_field_it_resembles(tmp_path: Path) -> None:
    root = write(tmp_path, "name: Bakery\nflow: demo_bakery\nrecording:\n  retention_dayz: 9\n")
    with pytest.raises(
        TenantError,
        match=r":4: recording\.retention_dayz: unknown field "
        r"\(did you mean 'retention_days'\?\)",
    ):
        load_tenant(root, "bakery")


def test_typo_in_a_list_item_suggests_too(tmp_path: Path) -> None:
    body = (
        "name: Bakery\nflow: demo_bakery\nlead_scoring:\n  rules:\n"
        "    - {label: big, points: 5, slot: size}\n"
        "    - {label: price, point: 5, keywords: [price]}\n"
    )
    root = write(tmp_path, body)
    with pytest.raises(TenantError, match=r"did you mean 'points'"):
        load_tenant(root, "bakery")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("hours:\n  mon: '9-5'\n", "neither"),
        ("hours:\n  mon: '18:00-09:00'\n", "after opening"),
        ("routing:\n  phone_numbers: ['020 7123 4567']\n", "should match pattern"),
        ("lead_scoring:\n  rules:\n    - {label: x, points: 1, if: 'slots.n >'}\n", "expression"),
        ("lead_scoring:\n  rules:\n    - {label: x, points: 1}\n", "exactly one of"),
        ("lead_scoring:\n  rules:\n    - {label: x, points: 1, if: 'call.seconds > 3'}\n", "call"),
        (
            "analyzer:\n  call_types:\n    order: {description: x, fields: {a: {type: colour}}}\n",
            "type",
        ),
        ("lead_scoring:\n  priorities: {high: 10, medium: 20}\n", "medium must not be above"),
        ("providers:\n  stt: deepgram,locl\n", "stt"),
        ("knowledge:\n  threshold: 1.5\n", "threshold"),
    ],
)
def test_bad_sections_name_their_line(tmp_path: Path, section: str, message: str) -> None:
    root = write(tmp_path, "name: Bakery\nflow: demo_bakery\n" + section)
    with pytest.raises(TenantError, match=r"tenant\.yaml:[3-9]: ") as caught:
        load_tenant(root, "bakery")
    assert message in str(caught.value)


def test_hours_say_when_the_business_is_open(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    root = write(
        tmp_path, "name: B\nflow: f\ntimezone: Europe/London\nhours: {mon: '09:00-17:00'}\n"
    )
    tenant = load_tenant(root, "bakery")
    hours = tenant.config.hours
    monday_summer_9am_london = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert hours.is_open(monday_summer_9am_london, tenant.tz)
    assert not hours.is_open(datetime(2026, 6, 1, 7, 59, tzinfo=UTC), tenant.tz)
    assert not hours.is_open(datetime(2026, 6, 2, 9, 0, tzinfo=UTC), tenant.tz)  # tue closed


def test_scoring_rule_expression_evaluates_over_slots(tmp_path: Path) -> None:
    body = (
        "name: B\nflow: f\nlead_scoring:\n  rules:\n"
        "    - {label: large party, points: 20, if: 'slots.party_size > 8'}\n"
    )
    rule = load_tenant(write(tmp_path, body), "bakery").config.lead_scoring.rules[0]
    expression = rule.expression()
    assert expression is not None
    assert expression.evaluate({"slots": {"party_size": 9}})
    assert not expression.evaluate({"slots": {"party_size": 3}})


ROUTED = """name: Bakery
flow: receptionist
flows:
  meeting: discovery_meeting
  web: demo_bakery
  campaigns: {spring-cakes: lead_qualifier}
routing:
  campaigns: [spring-cakes, crumb-website]
"""


@pytest.mark.parametrize(
    ("source", "campaign", "flow"),
    [
        (None, None, "receptionist"),
        ("sip", None, "receptionist"),  # no sip route: the tenant's flow
        ("meeting", None, "discovery_meeting"),
        ("web", None, "demo_bakery"),
        ("web", "crumb-website", "demo_bakery"),  # a campaign with no flow of its own
        ("web", "spring-cakes", "lead_qualifier"),  # the campaign's flow wins
    ],
)
def test_flows_are_chosen_by_campaign_then_source(
    tmp_path: Path, source: Source | None, campaign: str | None, flow: str
) -> None:
    config = load_tenant(write(tmp_path, ROUTED), "bakery").config
    assert config.flow_for(source, campaign) == flow
    assert config.all_flows() == [
        "receptionist",
        "demo_bakery",
        "discovery_meeting",
        "lead_qualifier",
    ]


def test_a_campaign_flow_for_an_unrouted_campaign_is_an_error(tmp_path: Path) -> None:
    body = ROUTED.replace("[spring-cakes, crumb-website]", "[crumb-website]")
    with pytest.raises(
        TenantError, match=r"tenant\.yaml:3: flows: campaigns \['spring-cakes'\] are not listed"
    ):
        load_tenant(write(tmp_path, body), "bakery")


def test_the_bakery_meets_prospects_with_its_discovery_flow() -> None:
    config = load_tenant(ROOT / "tenants", "crumb-and-co").config
    assert config.flow_for("meeting") == "discovery_meeting"
    assert config.flow_for("sip") == config.flow_for("web") == "receptionist"
