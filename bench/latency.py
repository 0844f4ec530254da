"""Voice-to-voice latency through a real livekit-server on loopback: Frontdesk vs a baseline.

Usage: ``uv run python bench/latency.py [--calls 3] [--variants frontdesk,baseline]``

A simulated caller (a real LiveKit participant speaking eSpeak NG audio) talks to two
agents in turn, each an ``AgentSession`` with the same Silero VAD, PocketSphinx STT and
eSpeak NG TTS, run in this process so both sides share one clock:

- ``frontdesk``: the FlowAgent running the demo tenant's flow (the receptionist: hints
  and expected-answer endpointing per node), the caller booking a table as in
  ``frontdesk demo`` (:mod:`agent.demo.script`: it answers what the agent asks);
- ``baseline``: a bare livekit-agents Agent that answers every turn with a fixed reply,
  with livekit's generic endpointing (its recognizer gets all the flow's phrase hints
  once), the caller saying the same lines.

The caller's ear only times the agent's audio (it decodes nothing, so it takes no CPU
from the agent). Before the run the machine's idle CPU is sampled; during it, how much
CPU other processes took and how often the agent's VAD fell behind realtime. When either
says the CPU was short, the figures are flagged as the machine's, not Frontdesk's, and
every turn that got no answer says why.

Voice-to-voice latency is the end of the caller's speech to the first agent audio frame
the caller receives. It is broken down into: endpointing wait (VAD end-of-speech and the
endpointing delay), STT (decode time), flow (the agent's turn logic), TTS first frame
(synthesis time to first audio) and transport (the rest: publishing, the SFU, jitter
buffers and decoding on the caller's side).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import statistics
import time
from dataclasses import dataclass, field
from functools import partial

from livekit import api, rtc
from livekit.agents import Agent, AgentSession, StopResponse, llm, metrics, vad
from livekit.agents.voice.events import UserInputTranscribedEvent, UserStateChangedEvent

from agent.config import Settings, load_settings
from agent.control.dispatch import livekit_api, participant_token
from agent.demo.caller import SimulatedCaller, Spoken, transcripts_between
from agent.demo.script import SCRIPTS, ScriptCursor
from agent.flow.match import hints_for, normalize
from agent.flow.model import AskNode
from agent.flow.runtime import FlowAgent
from agent.providers.registry import apply_hints, load_vad
from agent.session import Pipeline, prepare_call
from agent.stack import LocalStack, StackPorts

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
    heard: list[tuple[float, str]] = field(default_factory=list)  # final transcripts

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

    def on_transcript(ev: UserInputTranscribedEvent) -> None:
        if ev.is_final:
            probe.heard.append((time.time(), ev.transcript))

    session.on("user_state_changed", on_state)
    session.on("user_input_transcribed", on_transcript)
    pipeline.stt.on("metrics_collected", on_stt)
    pipeline.tts.on("metrics_collected", on_tts)


@dataclass
class LineCheck:
    """What the agent made of one caller line: its words, and whether the turn ended
    before the caller finished (a cut-off: the turn ended mid-answer)."""

    heard: str
    understood: bool
    cut_off: bool


def _check(probe: Probe, spoken: Spoken) -> LineCheck:
    turns = [t for t in probe.turn_at if spoken.start <= t]
    first_turn = min(turns) if turns else None
    heard = " ".join(
        t for at, t in probe.heard if spoken.start <= at <= (first_turn or at) + 0.01
    ).strip()
    cut_off = first_turn is not None and first_turn < spoken.end
    return LineCheck(heard, normalize(heard) == normalize(spoken.text), cut_off)


def _timing(caller: SimulatedCaller, probe: Probe, spoken_end: float) -> TurnTiming | str:
    """The turn's timing, or why it has none."""
    heard = caller.first_agent_audio_after(spoken_end)
    turn_at = probe.after(probe.turn_at, spoken_end)
    replied = probe.after(probe.replied_at, spoken_end)
    transcripts = [t for at, t in probe.heard if at >= spoken_end - 1.0]
    if turn_at is None or replied is None:
        if not transcripts:
            return "no answer: the agent's recognizer returned no words for the line"
        return f"no answer: the agent heard {' / '.join(transcripts)!r} but ended no turn"
    if heard is None:
        return "no answer: the agent's turn ended but the caller heard no reply audio"
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
    name: str, settings: Settings, url: str, vad_model: vad.VAD, calls: int
) -> list[TurnTiming]:
    """``calls`` demo bookings with one variant; the timings of every caller line."""
    results: list[TurnTiming] = []
    checks: list[LineCheck] = []
    for call in range(calls):
        await run_call(name, settings, url, vad_model, call=call, results=results, checks=checks)
    understood = sum(c.understood for c in checks)
    cut = sum(c.cut_off for c in checks)
    print(f"  {name}: {understood}/{len(checks)} lines understood, {cut} cut off", flush=True)
    return results


async def _delete_room(settings: Settings, room: str) -> None:
    """Hang up as the worker does: deleting the room disconnects everyone, and the
    session closes with it."""
    lkapi = livekit_api(settings)
    try:
        await lkapi.room.delete_room(api.DeleteRoomRequest(room=room))
    finally:
        await lkapi.aclose()


async def run_call(
    name: str,
    settings: Settings,
    url: str,
    vad_model: vad.VAD,
    *,
    call: int,
    results: list[TurnTiming],
    checks: list[LineCheck],
) -> None:
    plan = prepare_call(settings, None)
    room_name = f"bench-{name}-{call}-{int(time.time())}"
    lkapi = livekit_api(settings)
    await lkapi.room.create_room(api.CreateRoomRequest(name=room_name))
    await lkapi.aclose()
    agent_room = rtc.Room()
    await agent_room.connect(url, participant_token(settings, room=room_name, identity="agent"))
    pipeline = Pipeline.build(settings, vad_model)
    # frontdesk's turns end as its nodes' expected answers say; the baseline's generically
    endpointing = pipeline.endpointing(settings) if name == "frontdesk" else None
    session = pipeline.session(settings, endpointing=endpointing)
    probe = Probe()
    _instrument(pipeline, session, probe)
    agent: Agent
    if name == "frontdesk":
        flow_agent = TimedFlowAgent(
            plan.machine(),
            set_hints=partial(apply_hints, pipeline.stt),
            hang_up=partial(_delete_room, settings, room_name),
            endpointing=endpointing,
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

    caller = SimulatedCaller(None)  # the ear only times the agent's audio
    await caller.join(url, participant_token(settings, room=room_name, identity="caller"))
    cursor = ScriptCursor(SCRIPTS[plan.flow.id])
    try:
        await caller.agent_turn_done(time.time() - 1, timeout=60)
        while cursor.line is not None and not caller.disconnected.is_set():
            spoken = await caller.say(cursor.text)
            await caller.agent_turn_done(spoken.end, timeout=30)
            timing = _timing(caller, probe, spoken.end)
            check = _check(probe, spoken)
            checks.append(check)
            if isinstance(timing, TurnTiming):
                results.append(timing)
            slow = f"  (VAD behind realtime {SLOW_VAD.count}x so far)" if SLOW_VAD.count else ""
            print(
                f"  {name} call {call + 1} {spoken.text[:24]!r:27}"
                + (f"{timing.v2v * 1000:6.0f} ms" if isinstance(timing, TurnTiming) else timing)
                + f"  heard {check.heard!r}"
                + ("" if check.understood else "  MISHEARD")
                + ("  CUT OFF" if check.cut_off else "")
                + slow,
                flush=True,
            )
            if name == "frontdesk":  # the caller answers what the agent asks next
                reply = transcripts_between(caller.transcripts, spoken.end, math.inf, own=False)
                cursor.heard(reply)
            else:
                cursor.index += 1
    finally:
        await caller.leave()
        await session.aclose()
        await agent_room.disconnect()
    if endpointing is not None:
        verdicts = ", ".join(f"{v.value} {n}" for v, n in endpointing.verdicts.items())
        print(f"  {name} call {call + 1}: end-of-turn verdicts: {verdicts or 'none'}", flush=True)


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _series(timings: list[TurnTiming], part: str) -> list[float]:
    return [t.v2v if part == "v2v" else t.parts[part] for t in timings]


def report(results: dict[str, list[TurnTiming]]) -> None:
    fd, base = results.get("frontdesk", []), results.get("baseline", [])
    print(f"\nvoice-to-voice latency over {len(fd)} / {len(base)} answered turns (ms)")
    print(f"{'':22}{'frontdesk':>12}{'baseline':>12}{'ratio':>8}")
    rows = ["v2v", *PARTS]
    for label in rows:
        for q in (50, 95):
            a, b = _pct(_series(fd, label), q) * 1000, _pct(_series(base, label), q) * 1000
            ratio = f"{a / b:7.2f}x" if b > 0.5 else "     n/a"
            print(f"{label + f' p{q}':22}{a:12.0f}{b:12.0f} {ratio}")


OTHERS_BUSY_CORES = 0.5  # other processes using more than this stretch every part
SLOW_VAD_PER_TURN = 0.25  # more late VAD windows than this per turn: the CPU was short


class SlowVadCounter(logging.Handler):
    """Counts silero's "VAD inference is slower than realtime": the agent's VAD got too
    little CPU, so its end-of-speech (and every figure after it) came late."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "slower than realtime" in record.getMessage():
            self.count += 1


SLOW_VAD = SlowVadCounter()


@dataclass
class CpuMeter:
    """The machine's busy CPU (cores) and this process's, over a window."""

    machine_at: tuple[float, float] = (0.0, 0.0)  # (busy, total) jiffies
    own_at: float = 0.0
    wall_at: float = 0.0

    @staticmethod
    def _machine() -> tuple[float, float]:
        with open("/proc/stat") as f:
            fields = [float(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
        return sum(fields) - idle, sum(fields)

    def start(self) -> None:
        self.machine_at, self.own_at, self.wall_at = (
            self._machine(),
            sum(os.times()[:2]),
            time.monotonic(),
        )

    def cores(self) -> tuple[float, float]:
        """(machine busy cores, this process's cores) since start()."""
        busy, total = self._machine()
        cores = os.cpu_count() or 1
        machine = (busy - self.machine_at[0]) / max(total - self.machine_at[1], 1.0) * cores
        own = (sum(os.times()[:2]) - self.own_at) / max(time.monotonic() - self.wall_at, 1e-3)
        return machine, own


async def idle_check(seconds: float = 3.0) -> str | None:
    """Why the machine is too busy to measure before the run starts, or None."""
    meter = CpuMeter()
    meter.start()
    await asyncio.sleep(seconds)
    machine, own = meter.cores()
    if machine - own > OTHERS_BUSY_CORES:
        return (
            f"other processes use {machine - own:.1f} of {os.cpu_count()} cores before the "
            f"run (load average {os.getloadavg()[0]:.1f})"
        )
    return None


def verdict(before: str | None, meter: CpuMeter, slow_vad: int, turns: int) -> str | None:
    """Why these figures are the machine's rather than Frontdesk's, or None."""
    machine, own = meter.cores()
    others = max(machine - own, 0.0)
    reasons = [before] if before else []
    # livekit-server (a child) runs too: count it as ours up to a fifth of a core
    if others > OTHERS_BUSY_CORES + 0.2:
        reasons.append(f"other processes used {others:.1f} cores during the run")
    # A few late VAD windows happen on a quiet machine too (this process's decodes hold
    # the GIL); many mean the CPU was short.
    if slow_vad > turns * SLOW_VAD_PER_TURN:
        reasons.append(
            f"the agent's VAD fell behind realtime {slow_vad} times in {turns} turns "
            "(too little CPU for it)"
        )
    print(
        f"\nmachine: {os.cpu_count()} cores, this benchmark used {own:.2f} cores, the whole "
        f"machine {machine:.2f}; load average {os.getloadavg()[0]:.2f}; the agent's VAD fell "
        f"behind realtime {slow_vad} times in {turns} turns"
    )
    return "; ".join(reasons) or None


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3, help="demo bookings per variant")
    parser.add_argument(
        "--variants", default="frontdesk,baseline", help="which to run (comma-separated)"
    )
    args = parser.parse_args()
    logging.getLogger("livekit.plugins.silero").addHandler(SLOW_VAD)
    before = await idle_check()
    if before is not None:
        print(f"warning: the machine is busy: {before}; figures will be flagged")
    settings = load_settings()
    vad_model = load_vad(settings.vad_silence_s)
    meter = CpuMeter()
    async with LocalStack(
        settings,
        ports=StackPorts.ephemeral(),
        with_worker=False,
        with_dispatcher=False,
        progress=print,
    ) as stack:
        s = settings.model_copy(update={"livekit_url": stack.url})
        meter.start()
        results = {
            name: await run_variant(name, s, stack.url, vad_model, args.calls)
            for name in args.variants.split(",")
        }
    busy = verdict(before, meter, SLOW_VAD.count, 12 * args.calls)
    if not all(results.values()):
        print("\nmeasured nothing for " + " and ".join(n for n, r in results.items() if not r))
        if busy:
            print(f"the CPU was short: {busy}")
        raise SystemExit(1)
    report(results)
    if busy is not None:
        print(
            f"\nNOT REPRESENTATIVE: the CPU was short ({busy}): these figures are the "
            "machine's, not Frontdesk's; run it again while nothing else runs"
        )


if __name__ == "__main__":
    asyncio.run(main())
