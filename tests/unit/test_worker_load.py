"""The load the worker reports to LiveKit (full at 1.0): the higher of its share of
``FRONTDESK_MAX_CALLS`` calls and, when ``FRONTDESK_CPU_FULL`` is set, the machine's CPU
as a share of it, so a machine too busy to start job processes says it is full instead
of taking calls;
and the options livekit's AgentServer is built with: a bounded drain, a process start
timeout, and Frontdesk's modules preloaded in the forkserver."""

from __future__ import annotations

import pytest

from agent.config import load_settings
from agent.worker_app import build_server, load_share

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("calls", "cpu", "expected"),
    [
        (0, 0.10, 0.10 / 0.95),  # an idle worker on a quiet machine
        (2, 0.10, 0.5),  # half its calls
        (4, 0.10, 1.0),  # all its calls: full
        (1, 0.95, 1.0),  # a saturated machine: full, whatever the calls
        (1, 0.99, 1.0),  # never above 1
    ],
)
def test_load_is_the_higher_of_calls_and_cpu(calls: int, cpu: float, expected: float) -> None:
    settings = load_settings(check_keys=False, max_calls=4, cpu_full=0.95)
    assert load_share(settings, calls=calls, cpu=cpu) == pytest.approx(expected)


def test_without_a_cpu_bound_only_calls_count() -> None:
    settings = load_settings(check_keys=False, max_calls=4)
    assert load_share(settings, calls=1, cpu=1.0) == pytest.approx(0.25)
    assert load_share(settings, calls=4, cpu=0.0) == 1.0


def test_the_server_drains_and_starts_processes_within_the_settings() -> None:
    settings = load_settings(check_keys=False, drain_timeout_s=7, process_start_timeout_s=25)
    server = build_server(settings)
    # livekit-agents keeps these options private; what it does with them is shown by
    # tests/integration/test_worker_drain.py and bench/process_start.py
    assert server._drain_timeout == 7
    assert server._initialize_process_timeout == 25
    assert "agent.worker_app" in server._preload_modules
