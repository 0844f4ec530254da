"""SIGTERM drains the worker: it takes no new job, lets its calls finish and then exits,
within ``FRONTDESK_DRAIN_TIMEOUT`` (livekit waited up to an hour): a call that outlasts
the bound is ended (the stored call is finalized by its own worker), and none of the
worker's processes outlives it. A job process is tied to its parent: killed with it."""

from __future__ import annotations

import asyncio
import gc
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest
from livekit import api

from agent.config import ROOT, Settings
from agent.control.dispatch import dispatch_call, livekit_api
from agent.demo.call import run_demo_call
from agent.demo.caller import SimulatedCaller, Spoken
from agent.stack import LocalStack, Service, free_port
from agent.store import Store
from agent.store.report import call_report
from tests.callers import DEMO_TENANT, call, settings_for, stored_call, wait_for_agent_speech

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(300)]

DRAIN_S = 5
HOLD_TENANT = "hold-the-line"
HOLD_FLOW = """\
version: 1
id: hold
start: wait
nodes:
  wait:
    kind: ask
    prompt: Please hold the line.
    slot: anything
    type: text
    no_input_timeout: 120
    transitions: [{when: always, to: bye}, {when: retries_exhausted, to: bye}]
  bye: {kind: end, text: Goodbye.}
"""


def _hold_tenant(tenants: Path) -> str:
    """A tenant whose call waits two minutes for the caller: it would outlast the drain."""
    folder = tenants / HOLD_TENANT
    (folder / "flows").mkdir(parents=True, exist_ok=True)
    (folder / "tenant.yaml").write_text("name: Hold\nflow: hold\n")
    (folder / "flows" / "hold.yaml").write_text(HOLD_FLOW)
    return HOLD_TENANT


async def _second_worker(
    stack: LocalStack, tmp_path: Path, name: str, drain_s: int
) -> AsyncIterator[tuple[Service, str]]:
    """A second worker on the stack's server, under its own agent name, to be stopped."""
    env = {
        **stack.child_env(),
        "FRONTDESK_AGENT_NAME": name,
        "FRONTDESK_WORKER_PORT": str(free_port()),
        "FRONTDESK_DRAIN_TIMEOUT": str(drain_s),
    }
    argv = [sys.executable, str(ROOT / "worker.py"), "start"]
    worker = Service(name, argv, re.compile("registered worker"), tmp_path / "w.log", env=env)
    await worker.start(timeout=120)
    yield worker, name
    await worker.stop()


@pytest.fixture
async def draining_worker(stack: LocalStack, tmp_path: Path) -> AsyncIterator[tuple[Service, str]]:
    async for worker in _second_worker(stack, tmp_path, "frontdesk-draining", DRAIN_S):
        yield worker


@pytest.fixture
async def patient_worker(stack: LocalStack, tmp_path: Path) -> AsyncIterator[tuple[Service, str]]:
    """A worker whose drain outlasts a whole call (the default bound, 120 s)."""
    async for worker in _second_worker(stack, tmp_path, "frontdesk-patient", 120):
        yield worker


async def test_sigterm_ends_the_call_within_the_drain_bound_and_leaves_no_process(
    stack: LocalStack, stack_settings: Settings, draining_worker: tuple[Service, str]
) -> None:
    worker, agent_name = draining_worker
    assert worker._proc is not None
    settings = stack_settings.model_copy(update={"agent_name": agent_name})
    tenant = _hold_tenant(stack_settings.tenants_dir)
    async with call(stack, settings, tenant) as (caller, room):
        start = await wait_for_agent_speech(caller)
        assert await caller.agent_turn_done(start, timeout=60)
        family = psutil.Process(worker._proc.pid).children(recursive=True)
        stopped_at = time.monotonic()
        os.kill(worker._proc.pid, signal.SIGTERM)  # as an orchestrator stops a container
        await asyncio.wait_for(worker._proc.wait(), 120)  # livekit's default: an hour
        took = time.monotonic() - stopped_at
    assert took >= DRAIN_S - 1, f"the call was not given its drain time ({took:.1f} s)"
    _, alive = psutil.wait_procs(family, timeout=20)  # the forkserver's own exit, and so on
    for process in alive:
        process.kill()
    assert alive == [], f"processes outlived the worker: {alive}"
    store = Store.from_url(f"sqlite:///{stack_settings.data_dir / 'frontdesk.db'}")
    try:
        async with store.transaction() as s:
            report = await call_report(s, room)
    finally:
        await store.close()
    assert report is not None and report.call.status != "active", "the call was left open"


CHILD = """
import signal, sys, time
from agent.orphans import die_with_parent
signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as livekit's job processes do
assert die_with_parent()
print("ready", flush=True)
time.sleep(300)
"""
PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, text=True)
print(child.pid, child.stdout.readline().strip(), flush=True)
child.wait()
"""


def test_a_process_tied_to_its_parent_dies_with_it() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert parent.stdout is not None
    pid, ready = parent.stdout.readline().split()
    assert ready == "ready"
    child = psutil.Process(int(pid))
    parent.kill()  # SIGKILL: the parent cannot pass anything on
    parent.wait()
    parent.stdout.close()
    try:
        child.wait(timeout=30)
    except psutil.TimeoutExpired:
        child.kill()
        raise AssertionError("the child outlived its parent") from None


async def test_sigterm_lets_the_call_finish_takes_no_new_call_then_exits(
    stack: LocalStack, stack_settings: Settings, patient_worker: tuple[Service, str]
) -> None:
    worker, agent_name = patient_worker
    assert worker._proc is not None
    settings = stack_settings.model_copy(update={"agent_name": agent_name})
    lkapi = livekit_api(settings_for(stack, settings))
    later: list[str] = []
    alive: list[bool] = []  # the worker, as the caller said each line after the SIGTERM

    async def stop_the_worker(_caller: SimulatedCaller, _spoken: Spoken) -> None:
        assert worker._proc is not None
        if later:
            alive.append(worker.running)
            return
        os.kill(worker._proc.pid, signal.SIGTERM)  # as an orchestrator's rolling restart
        await asyncio.sleep(1)  # livekit has the signal; then a new call comes in for it
        later.append((await dispatch_call(lkapi, settings, tenant=DEMO_TENANT)).room)

    try:
        report = await run_demo_call(
            settings, stack.url, tenant=DEMO_TENANT, after_line=stop_the_worker
        )
        assert later, "the call never got to the caller's first line"
        assert report.hung_up, report.to_json()
        assert alive and all(alive), f"the worker exited mid-call: {alive}"
        dispatches = await lkapi.agent_dispatch.list_dispatch(room_name=later[0])
        assert [job for d in dispatches for job in d.state.jobs] == [], "a new job was taken"
        await asyncio.wait_for(worker._proc.wait(), 90)  # once its call ended, it exits
        await lkapi.room.delete_room(api.DeleteRoomRequest(room=later[0]))
    finally:
        await lkapi.aclose()
    facts = await stored_call(
        stack_settings, report.room, DEMO_TENANT, until=lambda f: f.status != "active"
    )
    assert facts.status == "completed", facts
    assert facts.path[-1] == "end", facts.path  # the goodbye: the call ended on its own
    # The caller's livekit objects are freed here, inside this test: once (one run of
    # three) freeing one of them later raised livekit's "unknown FFI handle" assertion
    # in the next test. Not understood yet; collected here, it is charged to this test.
    gc.collect()
