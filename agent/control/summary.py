"""A short, deterministic handoff summary for the person taking a call, from its
transcript: what the caller first asked, what the flow collected, what they said last.
The same transcript always gives the same words (no model involved).

:class:`Summarizer` asks the deployment's LLM instead when one is configured
(``FRONTDESK_LLM``), and falls back to the deterministic summary on an error or a
timeout."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from livekit.agents import APIConnectOptions, APIError, llm

logger = logging.getLogger("frontdesk.dispatcher")

MAX_QUOTE = 120
MAX_ANSWER = 400  # the LLM's summary, at most


@dataclass(frozen=True)
class Line:
    speaker: str  # caller | agent | human
    text: str


def _quote(text: str, limit: int = MAX_QUOTE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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


SYSTEM = (
    "You brief a receptionist who is about to take over a phone or web call from a voice "
    "agent. In at most two short sentences, say who the caller is if known, what they "
    "want, and what they already gave. Plain text, no lists, nothing invented."
)
CACHE_SIZE = 256


class Summarizer:
    """The warm summary: asked of ``model`` (the deployment's LLM, ``FRONTDESK_LLM``)
    when there is one, within ``timeout_s``; the deterministic :func:`summarize` when
    there is none, or when it fails, times out or answers nothing. One answer per
    handoff and transcript is kept, the fallback too (the console asks again on every
    refresh)."""

    def __init__(self, model: llm.LLM[Any] | None, *, timeout_s: float = 8.0) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self._cache: OrderedDict[tuple[str, int], str] = OrderedDict()

    async def summary(
        self,
        key: str,
        lines: Sequence[Line],
        slots: Mapping[str, object],
        reason: str | None,
    ) -> str:
        fallback = summarize(lines, slots, reason)
        if self.model is None or not lines:
            return fallback
        cached = self._cache.get((key, len(lines)))
        if cached is not None:
            return cached
        try:
            said = await asyncio.wait_for(self._ask(lines, slots, reason), self.timeout_s)
            answer = _quote(said, MAX_ANSWER) if said.strip() else fallback
        except (APIError, TimeoutError) as e:
            # kept too: a model that is down is not waited for again until a new line
            logger.warning("LLM summary failed: the plain one is used", extra={"error": repr(e)})
            answer = fallback
        self._cache[(key, len(lines))] = answer
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return answer

    async def _ask(
        self, lines: Sequence[Line], slots: Mapping[str, object], reason: str | None
    ) -> str:
        assert self.model is not None
        said = "\n".join(f"{line.speaker}: {line.text}" for line in lines)
        given = ", ".join(f"{k}={v}" for k, v in slots.items()) or "nothing"
        ctx = llm.ChatContext()
        ctx.add_message(role="system", content=SYSTEM)
        ctx.add_message(
            role="user",
            content=f"Why a person: {reason or 'not said'}\nCollected: {given}\n"
            f"Transcript:\n{said}",
        )
        options = APIConnectOptions(max_retry=0, timeout=self.timeout_s)
        parts: list[str] = []
        async with self.model.chat(chat_ctx=ctx, conn_options=options) as stream:
            async for chunk in stream:
                if chunk.delta is not None and chunk.delta.content:
                    parts.append(chunk.delta.content)
        return "".join(parts)
