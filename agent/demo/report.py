"""The demo's report: turns on both sides, what the other side heard, and latency."""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field
from typing import Literal

Speaker = Literal["agent", "caller"]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("&", " and "))


def recall(said: str, heard: str) -> float:
    """Share of the said words (3+ letters) that the listener's transcript contains."""
    target = [w for w in words(said) if len(w) >= 3]
    if not target:
        return 1.0
    got = set(words(heard))
    return sum(w in got for w in target) / len(target)


@dataclass
class Turn:
    speaker: Speaker
    said: str
    heard: str
    at_s: float  # seconds since the call started
    latency_ms: float | None = None  # caller turns: end of speech -> first agent audio
    understood: bool = False
    repeat: int = 0  # caller turns: 1 for the first time a line is said again, and so on

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@dataclass
class DemoReport:
    room: str
    turns: list[Turn] = field(default_factory=list)
    hung_up: bool = False
    heard_threshold: float = 0.5

    @property
    def latencies(self) -> list[float]:
        return [t.latency_ms for t in self.turns if t.latency_ms is not None]

    @property
    def final_caller_turns(self) -> list[Turn]:
        """Each caller line's last attempt: a line the agent asked for again was said
        again, and its earlier attempts were not understood (or not in full)."""
        callers = [t for t in self.turns if t.speaker == "caller"]
        return [
            t
            for t, after in zip(callers, [*callers[1:], None], strict=True)
            if not after or not after.repeat
        ]

    @property
    def ok(self) -> bool:
        """The call ran to its end: the agent understood each line (the last time the
        caller said it), the caller heard each of the agent's turns, and the agent hung up."""
        agents = [t for t in self.turns if t.speaker == "agent"]
        finals = self.final_caller_turns
        return bool(
            finals
            and agents
            and self.hung_up
            and all(t.understood for t in finals)
            and all(t.understood for t in agents)
        )

    def to_json(self) -> dict[str, object]:
        lat = self.latencies
        return {
            "ok": self.ok,
            "room": self.room,
            "hung_up": self.hung_up,
            "turns": [t.to_json() for t in self.turns],
            "latency_ms": {
                "count": len(lat),
                "p50": round(percentile(lat, 50), 1) if lat else None,
                "p95": round(percentile(lat, 95), 1) if lat else None,
                "max": round(max(lat), 1) if lat else None,
            },
            "caller_turns_understood": sum(
                t.understood for t in self.turns if t.speaker == "caller"
            ),
            "caller_turns": sum(t.speaker == "caller" for t in self.turns),
            "caller_lines_said_again": sum(
                t.repeat > 0 for t in self.turns if t.speaker == "caller"
            ),
            "agent_turns_heard": sum(t.understood for t in self.turns if t.speaker == "agent"),
            "agent_turns": sum(t.speaker == "agent" for t in self.turns),
        }


def format_turn(turn: Turn) -> str:
    clock = f"[{int(turn.at_s // 60):02d}:{turn.at_s % 60:05.2f}]"
    mark = "ok" if turn.understood else "MISSED"
    other = "caller heard" if turn.speaker == "agent" else "agent heard"
    line = (
        f"{clock} {turn.speaker:<6} said: {turn.said}\n{'':10}{other}: {turn.heard or '(nothing)'}"
    )
    line += f"  [{mark}]"
    if turn.repeat:
        line += "  (said again: the agent asked again)"
    if turn.latency_ms is not None:
        line += f"  voice-to-voice {turn.latency_ms:.0f} ms"
    return line
