"""The flow engine's cost per caller turn, in text mode: every shipped scenario replayed
through the FlowMachine the worker uses, timing each turn (matching, slot extraction,
knowledge search, templates, events), per flow.

Usage: ``uv run python bench/flow_turns.py [--repeat 20]``

The baseline is ``demo_bakery``, the walking skeleton's flow (say/ask/end only); the other
flows use the full engine (lead gates, knowledge answers, clarify, question sets).
Scenario files are parsed once, outside the timing; the tenant's knowledge base is built
before timing starts.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path

from agent.authoring.scenario import (
    DEFAULT_CLOCK,
    Scenario,
    knowledge_for_flow,
    load_scenario,
    replay_turn,
)
from agent.config import ROOT
from agent.flow.events import ListSink
from agent.flow.load import load_flow_by_id
from agent.flow.machine import FlowMachine
from agent.tenants import load_tenant
from agent.tenants.context import template_context

BASELINE = "demo_bakery"


def turn_times(scenario: Scenario, repeat: int) -> list[float]:
    """Seconds per caller turn over ``repeat`` replays of ``scenario``."""
    tenant = load_tenant(ROOT / "tenants", scenario.tenant)
    flow = load_flow_by_id(ROOT / "flows", scenario.flow)
    options = knowledge_for_flow(flow, tenant)
    at = (scenario.clock or DEFAULT_CLOCK).replace(tzinfo=tenant.tz)
    times: list[float] = []
    for _ in range(repeat):
        machine = FlowMachine(
            flow, template_context(tenant), sink=ListSink(), clock=lambda: at, **options
        )
        machine.start()
        for turn in scenario.turns:
            if turn.is_opening or machine.state.ended:
                continue
            start = time.perf_counter()
            replay_turn(machine, turn)  # as `flow test` replays it (a waiting handoff too)
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    by_flow: dict[str, list[float]] = defaultdict(list)
    for path in sorted((ROOT / "flows" / "scenarios").rglob("*.yaml")):
        scenario = load_scenario(Path(path))
        by_flow[scenario.flow].extend(turn_times(scenario, args.repeat))
    base = statistics.mean(by_flow[BASELINE])
    print(f"{'flow':<20} {'turns':>6} {'mean µs':>9} {'p95 µs':>9} {'max µs':>9} {'vs base':>8}")
    for flow_id in sorted(by_flow, key=lambda f: (f != BASELINE, f)):
        times = sorted(by_flow[flow_id])
        mean, p95 = statistics.mean(times), times[int(0.95 * (len(times) - 1))]
        label = f"{flow_id} (baseline)" if flow_id == BASELINE else flow_id
        print(
            f"{label:<20} {len(times):>6} {mean * 1e6:>9.0f} {p95 * 1e6:>9.0f} "
            f"{times[-1] * 1e6:>9.0f} {mean / base:>7.1f}x"
        )


if __name__ == "__main__":
    main()
