"""A short, deterministic handoff summary for the person taking a call, from its
transcript: what the caller first asked, what the flow collected, what they said last.
The same transcript always gives the same words (no model involved)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_QUOTE = 120


@dataclass(frozen=True)
class Line:
    speaker: str  # caller | agent | human
    text: str


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1].rstrip() + "…"


def summarize(lines: Sequence[Line], slots: Mapping[str, object], reason: str | None) -> str:
    said = [line.text for line in lines if line.speaker == "caller" and line.text.strip()]
    parts: list[str] = []
    if reason:
        parts.append(f"Wants a person: {_quote(reason)}.")
    if said:
        parts.append(f'First said: "{_quote(said[0])}".')
    if slots:
        given = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in slots.items())
        parts.append(f"Gave: {_quote(given)}.")
    if len(said) > 1:
        parts.append(f'Last said: "{_quote(said[-1])}".')
    if not parts:
        return "Nothing said yet."
    return " ".join(parts)
