"""The real worker records its calls: a demo call through livekit-server ends stored
(turns, flow path, participants, finalized call, two-channel recording); a worker
killed with SIGKILL in the middle of a call leaves every turn before the kill in the
store; and a store locked by another process mid-call costs nothing (the spool)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import av
import pytest

from agent.config import ROOT, Settings
from agent.demo.call import run_demo_call
from agent.stack import LocalStack, Service, free_port
from agent.store import Store
from agent.store.report import CallReport, call_report
from tests.callers import DEMO_TENANT, call, wait_for_agent_speech

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(300)]

TENANT = DEMO_TENANT  # the skeleton's demo flow: hours, specials


@pytest.fixture
async def stack_store(stack_settings: Settings) -> AsyncIterator[Store]:
    store = Store.from_url(f"sqlite:///{stack_settings.data_dir / 'frontdesk.db'}")
    yield store
    await store.close()


async def _report(store: Store, room: str) -> CallReport | None:
    async with store.transaction() as s:
        return await call_report(s, room)


async def _wait_report(store: Store, room: str, done: bool, timeout: float = 90) -> CallReport:
    deadline = time.time() + timeout
    while time.time() < deadline:
        report = await _report(store, room)
        if report is not None and (not done or report.call.status != "active"):
            return report
        await asyncio.sleep(0.3)
    raise AssertionError(f"no {'finished ' if done else ''}call stored for room {room}")


async def test_demo_call_is_stored_with_its_recording(
    stack: LocalStack, stack_settings: Settings, stack_store: Store
) -> None:
    demo = await run_demo_call(stack_settings, stack.url, tenant=TENANT)
    report = await _wait_report(stack_store, demo.room, done=True)
    data = report.as_dict()
    assert report.call.status == "completed", data["call"]
    assert report.call.duration_s is not None and report.call.duration_s > 1
    assert report.call.end_node is not None
    assert report.call.caller_identity == "caller"  # the simulated caller's identity
    assert [(p["identity"], p["role"]) for p in data["participants"]] == [("caller", "caller")]
    speakers = [t["speaker"] for t in data["turns"]]
    assert speakers.count("caller") >= 3 and speakers.count("agent") >= 4, speakers
    assert [t["seq"] for t in data["turns"]] == list(range(1, len(speakers) + 1))
    # what livekit measured: each caller turn's STT confidence and delays, and the delay
    # the caller heard before each answer
    for i, turn in enumerate(data["turns"]):
        if turn["speaker"] == "caller":
            assert 0 < turn["stt_confidence"] <= 1, turn
            assert {"transcription_delay", "end_of_turn_delay"} <= set(turn["latency"]), turn
            assert turn["ended_at"] > turn["started_at"], turn
            answer = data["turns"][i + 1]
            assert answer["speaker"] == "agent", data["turns"]
            assert 0 < answer["latency"]["e2e_latency"] < 10, answer
    types = [e["type"] for e in data["events"]]
    assert types[0] == "NodeEntered" and "Ended" in types, types
    (recording,) = data["recordings"]
    assert (recording["format"], recording["channels"], recording["storage"]) == ("ogg", 2, "local")
    size = await asyncio.to_thread(lambda: Path(recording["uri"]).stat().st_size)
    assert size == recording["bytes"] > 1000
    channels, seconds = await asyncio.to_thread(_audio_shape, Path(recording["uri"]))
    assert channels == 2  # caller and agent
    assert seconds > 1


def _audio_shape(path: Path) -> tuple[int, float]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return stream.codec_context.channels, samples / stream.codec_context.sample_rate


@pytest.fixture
async def killable_worker(stack: LocalStack, tmp_path: Path) -> AsyncIterator[tuple[Service, str]]:
    """A second worker on the stack's server, under its own agent name, to be killed."""
    name = "frontdesk-killable"
    env = {
        **stack.child_env(),
        "FRONTDESK_AGENT_NAME": name,
        "FRONTDESK_WORKER_PORT": str(free_port()),
    }
    argv = [sys.executable, str(ROOT / "worker.py"), "start"]
    worker = Service(name, argv, re.compile("registered worker"), tmp_path / "w.log", env=env)
    await worker.start(timeout=120)
    yield worker, name
    await worker.stop()


@pytest.mark.parametrize("moment", ["after_a_turn", "during_a_turn"])
async def test_killed_worker_keeps_every_turn_before_the_kill(
    stack: LocalStack,
    stack_settings: Settings,
    stack_store: Store,
    killable_worker: tuple[Service, str],
    moment: str,
) -> None:
    """Killed a second after a turn ended, or while the agent speaks its answer (the
    caller's turn just committed, the agent's in flight): what was said before is kept."""
    worker, agent_name = killable_worker
    settings = stack_settings.model_copy(update={"agent_name": agent_name})
    async with call(stack, settings, TENANT) as (caller, room):
        start = await wait_for_agent_speech(caller)
        assert await caller.agent_turn_done(start, timeout=60)
        said_at = time.time()
        await caller.say("opening hours")
        if moment == "after_a_turn":
            assert await caller.agent_turn_done(said_at, timeout=60)
            await asyncio.sleep(1.0)  # the turn that just ended is in flight, not lost
        else:
            deadline = time.time() + 60
            while caller.agent_state != "speaking":  # the answer has started
                assert time.time() < deadline, "the agent never answered"
                await asyncio.sleep(0.02)
        assert worker.pid is not None
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its job processes
        await worker.stop()
        report = await _wait_report(stack_store, room, done=False)
        texts = [t.text for t in report.rows["turns"]]  # type: ignore[attr-defined]
        deadline = time.time() + 30  # the writer's last batch may still be landing
        while len(texts) < 2 and time.time() < deadline:
            await asyncio.sleep(0.3)
            report = await _wait_report(stack_store, room, done=False)
            texts = [t.text for t in report.rows["turns"]]  # type: ignore[attr-defined]
    assert report.call.status == "active"  # never finalized: the process died
    speakers = [t.speaker for t in report.rows["turns"]]  # type: ignore[attr-defined]
    expected = ["agent", "caller", "agent"] if moment == "after_a_turn" else ["agent", "caller"]
    assert speakers[: len(expected)] == expected, speakers
    assert texts[1].strip(), texts  # the caller's words, as the agent heard them


def _spooled(data_dir: Path, text: str) -> bool:
    return any(text in p.read_text() for p in (data_dir / "spool").glob("*.jsonl"))


def _spooled_caller_turn(data_dir: Path) -> bool:
    lines = (
        line for p in (data_dir / "spool").glob("*.jsonl") for line in p.read_text().splitlines()
    )
    records = (json.loads(line) for line in lines if line.strip())
    return any(r.get("op") == "turn" and r.get("speaker") == "caller" for r in records)


async def test_store_unavailable_mid_call_loses_nothing(
    stack: LocalStack, stack_settings: Settings, stack_store: Store
) -> None:
    data_dir = stack_settings.data_dir
    async with call(stack, stack_settings, TENANT) as (caller, room):
        start = await wait_for_agent_speech(caller)
        assert await caller.agent_turn_done(start, timeout=60)
        await _wait_report(stack_store, room, done=False)
        # another process takes the database's write lock: the store is unavailable
        lock = sqlite3.connect(
            data_dir / "frontdesk.db", isolation_level=None, timeout=30, check_same_thread=False
        )
        await asyncio.to_thread(lock.execute, "BEGIN EXCLUSIVE")
        try:
            said_at = time.time()
            await caller.say("opening hours")
            assert await caller.agent_turn_done(said_at, timeout=60)  # the call goes on
            deadline = time.time() + 60
            while not await asyncio.to_thread(_spooled_caller_turn, data_dir):
                assert time.time() < deadline, "the caller's turn never reached the spool"
                await asyncio.sleep(0.5)
        finally:
            await asyncio.to_thread(lock.execute, "ROLLBACK")
            lock.close()
        said_at = time.time()
        await caller.say("no thank you")
        await asyncio.wait_for(caller.disconnected.wait(), timeout=60)
    report = await _wait_report(stack_store, room, done=True)
    turns = [(t.speaker, t.text) for t in report.rows["turns"]]  # type: ignore[attr-defined]
    # both caller turns, in order (the words as heard: a loaded machine's audio may blur
    # "hours", and the flow still takes "opening ..." for the opening hours)
    heard = [text for who, text in turns if who == "caller"]
    assert len(heard) == 2 and heard[0].startswith("opening"), heard
    assert [who for who, _ in turns].count("agent") >= 3, turns
    assert report.call.status == "completed"
    assert not await asyncio.to_thread(_spooled, data_dir, room)  # the spool was flushed
