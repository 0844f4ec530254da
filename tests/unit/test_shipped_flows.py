"""The shipped flows (``flows/*.yaml``): each loads and passes ``flow check``, and the
scenarios of ``receptionist``, ``general_receptionist``, ``lead_qualifier`` and
``discovery_meeting`` pass and reach every node and edge of their flow.

Every shipped scenario also runs on its own in ``test_flow_scenario.py``
(``test_shipped_scenario_passes``, over ``flows/scenarios/**``); here they run per flow,
for coverage and for what the flows promise callers (consent, handoffs, endings).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.authoring.check import check_flow, source_lines
from agent.authoring.coverage import merge_by_flow
from agent.authoring.scenario import ScenarioResult, load_scenario, run_scenario
from agent.config import ROOT
from agent.flow.events import (
    ConsentRecorded,
    Ended,
    HandoffRequested,
    KnowledgeAnswered,
    NodeEntered,
    Reprompt,
    SlotSet,
)
from agent.flow.load import load_flow_by_id

pytestmark = pytest.mark.unit

FLOWS = ROOT / "flows"
TENANTS = ROOT / "tenants"
SHIPPED_FLOWS = sorted(FLOWS.glob("*.yaml"))
CAMPAIGN_FLOWS = ("receptionist", "general_receptionist", "lead_qualifier", "discovery_meeting")
MIN_SCENARIOS = 20  # per flow: happy paths, every global intent, every way out


def scenario_files(flow_id: str) -> list[Path]:
    return sorted((FLOWS / "scenarios" / flow_id).glob("*.yaml"))


@pytest.fixture(scope="module")
def runs() -> dict[str, list[ScenarioResult]]:
    """Every scenario of these flows, run once for all the tests below."""
    return {
        flow_id: [
            run_scenario(path, flows_dir=FLOWS, tenants_dir=TENANTS)
            for path in scenario_files(flow_id)
        ]
        for flow_id in CAMPAIGN_FLOWS
    }


@pytest.mark.parametrize("path", SHIPPED_FLOWS, ids=[p.stem for p in SHIPPED_FLOWS])
def test_shipped_flow_loads_and_checks_clean(path: Path) -> None:
    flow = load_flow_by_id(FLOWS, path.stem)
    findings = [f.format(str(path)) for f in check_flow(flow, source_lines(path))]
    assert findings == []  # no errors, and no warnings left unexplained


def test_the_flows_and_their_scenarios_are_shipped() -> None:
    assert set(CAMPAIGN_FLOWS) <= {path.stem for path in SHIPPED_FLOWS}
    counts = {flow_id: len(scenario_files(flow_id)) for flow_id in CAMPAIGN_FLOWS}
    assert all(count >= MIN_SCENARIOS for count in counts.values()), counts


@pytest.mark.parametrize("flow_id", CAMPAIGN_FLOWS)
def test_scenarios_in_a_flow_folder_drive_that_flow(flow_id: str) -> None:
    wrong = {
        path.name: scenario.flow
        for path in scenario_files(flow_id)
        for scenario in [load_scenario(path)]
        if scenario.flow != flow_id or scenario.expect_path is None
    }
    assert wrong == {}  # each names its folder's flow and pins the node path


@pytest.mark.parametrize("flow_id", CAMPAIGN_FLOWS)
def test_scenarios_pass_and_cover_every_node_and_edge(
    flow_id: str, runs: dict[str, list[ScenarioResult]]
) -> None:
    results = runs[flow_id]
    failed = [r.report() for r in results if not r.passed]
    assert not failed, "\n\n".join(failed)
    (cover,) = merge_by_flow((r.flow, r.events) for r in results)
    assert cover.flow_id == flow_id
    assert cover.nodes_missed == ()
    assert [str(edge) for edge in cover.edges_missed] == []


@pytest.mark.parametrize("flow_id", CAMPAIGN_FLOWS)
def test_every_scenario_ends_the_call(flow_id: str, runs: dict[str, list[ScenarioResult]]) -> None:
    open_calls = [r.name for r in runs[flow_id] if not any(isinstance(e, Ended) for e in r.events)]
    assert open_calls == []


@pytest.mark.parametrize("flow_id", CAMPAIGN_FLOWS)
def test_unhappy_paths_are_tested(flow_id: str, runs: dict[str, list[ScenarioResult]]) -> None:
    events = [event for r in runs[flow_id] for event in r.events]
    reprompts = {e.reason for e in events if isinstance(e, Reprompt)}
    assert {"no_match", "no_input"} <= reprompts
    if flow_id in ("receptionist", "general_receptionist"):  # only when the tenant is open
        assert "outside_hours" in reprompts
    handoffs = {e.reason for e in events if isinstance(e, HandoffRequested)}
    assert "the caller asked for a person" in handoffs
    assert len(handoffs) >= 2  # the human intent and a handoff of the flow's own


@pytest.mark.parametrize("flow_id", ["receptionist", "general_receptionist", "lead_qualifier"])
def test_questions_are_answered_from_the_tenants_documents(
    flow_id: str, runs: dict[str, list[ScenarioResult]]
) -> None:
    asked = [e for r in runs[flow_id] for e in r.events if isinstance(e, KnowledgeAnswered)]
    sources = {e.source for e in asked if e.answered}
    assert len(sources) >= 3, sources  # answers from several of the tenant's documents
    assert any(not e.answered and e.source == "" for e in asked)  # and some it cannot give


def test_the_general_receptionist_speaks_in_the_tenants_words(
    runs: dict[str, list[ScenarioResult]],
) -> None:
    """Its lines come from the tenant: the greeting, the name, the services offered (and
    taken as the appointment's choices), the country its numbers are read in."""
    said = " ".join(t for r in runs["general_receptionist"] for turn in r.turns for t in turn.said)
    assert "thank you for calling Hudson Street Dental. I'm the virtual receptionist" in said
    assert "a cleaning and check-up, a filling, teeth whitening" in said
    assert "2 1 2, 5 5 5, 0 1 9 8" in said and "plus 1" not in said
    for bakery in ("table", "order", "allergen", "menu"):
        assert bakery not in said.lower(), bakery
    services = {
        e.value
        for r in runs["general_receptionist"]
        for e in r.events
        if isinstance(e, SlotSet) and e.slot == "service"
    }
    assert services == {"cleaning", "filling", "whitening", "child-check-up"}


def test_lead_qualifier_reaches_nothing_needing_consent_without_it(
    runs: dict[str, list[ScenarioResult]],
) -> None:
    flow = load_flow_by_id(FLOWS, "lead_qualifier")
    guarded = {node_id for node_id, node in flow.nodes.items() if node.requires_consent}
    assert {"wedding_date", "lead_end", "stylist_callback"} <= guarded
    refused = 0
    for result in runs["lead_qualifier"]:
        consented = False
        for event in result.events:
            if isinstance(event, ConsentRecorded):
                consented = event.granted
                refused += not event.granted
            elif isinstance(event, NodeEntered) and event.node in guarded:
                assert consented, f"{result.source}: entered {event.node!r} without consent"
    assert refused >= 3  # refusing the email, the consent, and running out of retries
