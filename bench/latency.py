"""Voice-to-voice latency through a real livekit-server on loopback: Frontdesk vs a baseline.

Usage: ``uv run python bench/latency.py [--turns 20]``

A simulated caller (a real LiveKit participant speaking eSpeak NG audio) talks to two
agents in turn, each an ``AgentSession`` with the same Silero VAD, PocketSphinx STT and
eSpeak NG TTS, run in this process so both sides share one clock:

- ``frontdesk``: the FlowAgent running the demo bakery flow (hints per node);
- ``baseline``: a bare livekit-agents Agent that answers every turn with a fixed reply
  (its recognizer gets the same phrase hints once, so both decode alike).

Voice-to-voice latency is the end of the caller's speech to the first agent audio frame
the caller receives. It is broken down into: endpointing wait (VAD end-of-speech and the
endpointing delay), STT (decode time), flow (the agent's turn logic), TTS first frame
(synthesis time to first audio) and transport (the rest: publishing, the SFU, jitter
buffers and decoding on the caller's side).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import dataclass, field
from functools import partial

from livekit import api, rtc
from livekit.agents import Agent, AgentSession, StopResponse, llm, metrics, vad
from livekit.agents.voice.events import UserStateChangedEvent

from agent.config import Settings, load_settings
from agent.control.dispatch import livekit_api, participant_token
from agent.demo.caller import SimulatedCaller
from agent.flow.match import hints_for
from agent.flow.model import AskNode
from agent.flow.runtime import FlowAgent
from agent.providers.pocketsphinx_stt import PocketSphinxSTT
from agent.providers.registry import apply_hints, load_vad
from agent.session import Pipeline, prepare_call
from agent.stack import LocalStack, StackPorts

LINES = ("opening hours", "yes")  # loops topic -> hours -> anything else -> topic
FIXED_REPLY = "We're open Tuesday to Sunday, from seven in the morning until six."
PARTS = ("endpointing", "stt", "flow", "tts_first_frame", "transport")


@dataclass
class Probe:
    """Agent-side timestamps of the turn in flight (same clock as the caller)."""

    eos_at: list[float] = field(default_factory=list)
    turn_at: list[float] = field(default_factory=list)
    replied_at: list[float] = field(default_factory=list)
    stt_s: list[tuple[float, float]] = field(default_factory=list)  # (at, duration)
    ttfb_s: list[tuple[float, float]] = field(default_factory=list)

    def after(self, series: list[float], t: float) -> float | None:
        return next((x for x in series if x >= t), None)

    def metric_after(self, series: list[tuple[float, float]], t: float) -> float | None:
        return next((d for at, d in series if at >= t), None)


class TimedFlowAgent(FlowAgent):
    probe: Probe

    async def on_user_turn_completed(
        self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage
    ) -> None:
        self.probe.turn_at.append(time.time())
        try:
            await super().on_user_turn_completed(turn_ctx, new_message)
        finally:
            self.probe.replied_at.append(time.time())


class FixedReplyAgent(Agent):
    """The baseline: livekit-agents with no flow, answering every turn the same way."""

    def __init__(self, probe: Probe) -> None:
        super().__init__(instructions="Answer with a fixed reply.")
        self.probe = probe

    async def on_enter(self) -> None:
        self.session.say("Hello, thanks for calling. How can I help?")

    async def on_user_turn_completed(
        self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage
    ) -> None:
        self.probe.turn_at.append(time.time())
        self.session.say(FIXED_REPLY)
        self.probe.replied_at.append(time.time())
        raise StopResponse()


@dataclass
class TurnTiming:
    v2v: float
    parts: dict[str, float]


def _instrument(pipeline: Pipeline, session: AgentSession[None], probe: Probe) -> None:
    def on_state(ev: UserStateChangedEvent) -> None:
        if ev.old_state == "speaking" and ev.new_state == "listening":
            probe.eos_at.append(time.time())

    def on_stt(m: metrics.STTMetrics) -> None:
        if m.duration > 0:
            probe.stt_s.append((time.time() - m.duration, m.duration))

    def on_tts(m: metrics.TTSMetrics) -> None:
        if m.ttfb > 0:
            probe.ttfb_s.append((time.time() - m.duration, m.ttfb))

    session.on("user_state_changed", on_state)
    pipeline.stt.on("metrics_collected", on_stt)
    pipeline.tts.on("metrics_collected", on_tts)


def _timing(caller: SimulatedCaller, probe: Probe, spoken_end: float) -> TurnTiming | None:
    heard = caller.first_agent_audio_after(spoken_end)
    turn_at = probe.after(probe.turn_at, spoken_end)
    replied = probe.after(probe.replied_at, spoken_end)
    if heard is None or turn_at is None or replied is None:
        return None
    stt_d = probe.metric_after(probe.stt_s, spoken_end - 0.5) or 0.0
    ttfb = probe.metric_after(probe.ttfb_s, replied - 0.05) or 0.0
    v2v = heard - spoken_end
    parts = {
        "endpointing": max(turn_at - spoken_end - stt_d, 0.0),
        "stt": stt_d,
        "flow": replied - turn_at,
        "tts_first_frame": ttfb,
    }
    parts["transport"] = max(v2v - sum(parts.values()), 0.0)
    return TurnTiming(v2v=v2v, parts=parts)


async def run_variant(
    name: str, settings: Settings, url: str, vad_model: vad.VAD, turns: int
) -> list[TurnTiming]:
    plan = prepare_call(settings, None)
    room_name = f"bench-{name}-{int(time.time())}"
    lkapi = livekit_api(settings)
    await lkapi.room.create_room(api.CreateRoomRequest(name=room_name))
    await lkapi.aclose()
    agent_room = rtc.Room()
    await agent_room.connect(url, participant_token(settings, room=room_name, identity="agent"))
    pipeline = Pipeline.build(settings, vad_model)
    session = pipeline.session(settings)
    probe = Probe()
    _instrument(pipeline, session, probe)
    agent: Agent
    if name == "frontdesk":
        flow_agent = TimedFlowAgent(
            plan.machine(),
            set_hints=partial(apply_hints, pipeline.stt),
            hang_up=agent_room.disconnect,
        )
        flow_agent.probe = probe
        agent = flow_agent
    else:
        hints = sorted(
            {
                h
                for n in plan.flow.nodes.values()
                if isinstance(n, AskNode)
                for h in hints_for(n, plan.flow.globals)
            }
        )
        apply_hints(pipeline.stt, hints)
        agent = FixedReplyAgent(probe)
    await session.start(agent=agent, room=agent_room)

    ear = PocketSphinxSTT()
    caller = SimulatedCaller(ear)
    await caller.join(url, participant_token(settings, room=room_name, identity="caller"))
    results: list[TurnTiming] = []
    try:
        await caller.agent_turn_done(time.time() - 1, timeout=60)
        for i in range(turns):
            spoken = await caller.say(LINES[i % len(LINES)])
            await caller.agent_turn_done(spoken.end, timeout=30)
            timing = _timing(caller, probe, spoken.end)
            if timing is not None:
                results.append(timing)
            print(
                f"  {name} turn {i + 1:2d}: "
                + (f"{timing.v2v * 1000:6.0f} ms" if timing else "no answer"),
                flush=True,
            )
    finally:
        await caller.leave()
        await session.aclose()
        await agent_room.disconnect()
        await ear.aclose()
    return results


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _series(timings: list[TurnTiming], part: str) -> list[float]:
    return [t.v2v if part == "v2v" else t.parts[part] for t in timings]


def report(results: dict[str, list[TurnTiming]]) -> None:
    fd, base = results["frontdesk"], results["baseline"]
    print(f"\nvoice-to-voice latency over {len(fd)} / {len(base)} answered turns (ms)")
    print(f"{'':22}{'frontdesk':>12}{'baseline':>12}{'ratio':>8}")
    rows = ["v2v", *PARTS]
    for label in rows:
        for q in (50, 95):
            a, b = _pct(_series(fd, label), q) * 1000, _pct(_series(base, label), q) * 1000
            ratio = f"{a / b:7.2f}x" if b > 0.5 else "     n/a"
            print(f"{label + f' p{q}':22}{a:12.0f}{b:12.0f} {ratio}")


BUSY_LOAD_PER_CORE = 0.75  # above this one-minute load per core, turns wait for the CPU


def machine_busy() -> str | None:
    """Why this machine is too busy to measure latency, or None. The benchmark's own
    two sessions use about one core; more load than that stretches every part."""
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    if load > BUSY_LOAD_PER_CORE * cores:
        return (
            f"the machine is busy (load {load:.1f} on {cores} cores): figures measured now "
            "are the machine's, not Frontdesk's; run it while nothing else runs"
        )
    return None


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    if (busy := machine_busy()) is not None:
        print(f"warning: {busy}")
    settings = load_settings()
    vad_model = load_vad()
    async with LocalStack(
        settings,
        ports=StackPorts.ephemeral(),
        with_worker=False,
        with_dispatcher=False,
        progress=print,
    ) as stack:
        s = settings.model_copy(update={"livekit_url": stack.url})
        results = {
            name: await run_variant(name, s, stack.url, vad_model, args.turns)
            for name in ("frontdesk", "baseline")
        }
    report(results)
    if (busy := machine_busy()) is not None:
        print(f"\nNOT REPRESENTATIVE: {busy}")


if __name__ == "__main__":
    asyncio.run(main())
