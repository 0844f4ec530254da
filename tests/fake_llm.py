"""A scripted stand-in for a cloud LLM (OpenAI and the like cannot be reached from here).

:class:`FakeLLM` subclasses livekit's ``llm.LLM`` and answers each ``chat`` with the next
:class:`FakeResponse` of its script: text, tool calls, an API error, a delay. It records
every request (context, tools, tool choice), so tests can check what was asked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import APIConnectionError, llm
from livekit.agents.types import (
    DEFAULT_API_CONNECT_OPTIONS,
    NOT_GIVEN,
    APIConnectOptions,
    NotGivenOr,
)


@dataclass(frozen=True)
class FakeResponse:
    """One scripted answer: ``text``, ``tool_calls`` as (name, arguments), or ``error``
    (raised as a connection error, ``retryable`` or not), after ``delay_s``."""

    text: str = ""
    tool_calls: Sequence[tuple[str, Mapping[str, object] | str]] = ()
    error: str = ""
    delay_s: float = 0.0
    retryable: bool = False  # the error is one a retry may clear (a 503, a reset)


@dataclass(frozen=True)
class FakeRequest:
    chat_ctx: llm.ChatContext
    tool_names: tuple[str, ...]
    tool_choice: object


class _Stream(llm.LLMStream):
    def __init__(
        self,
        model: FakeLLM,
        response: FakeResponse,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        conn_options: APIConnectOptions,
    ) -> None:
        super().__init__(model, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._response = response

    async def _run(self) -> None:
        response = self._response
        assert isinstance(self._llm, FakeLLM)
        self._llm.attempts += 1
        await asyncio.sleep(response.delay_s)
        if response.error:
            raise APIConnectionError(response.error, retryable=response.retryable)
        calls = [
            llm.FunctionToolCall(
                name=name,
                arguments=args if isinstance(args, str) else json.dumps(args),
                call_id=f"call_{i}",
            )
            for i, (name, args) in enumerate(response.tool_calls)
        ]
        delta = llm.ChoiceDelta(role="assistant", content=response.text or None, tool_calls=calls)
        self._event_ch.send_nowait(llm.ChatChunk(id="fake", delta=delta))


@dataclass
class FakeLLM(llm.LLM):
    """Answers with ``script`` in order (the last response repeats)."""

    script: list[FakeResponse]
    requests: list[FakeRequest] = field(default_factory=list)
    attempts: int = 0  # answers begun, livekit's retries of a request included

    def __post_init__(self) -> None:
        super().__init__()

    @property
    def model(self) -> str:
        return "fake-llm"

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        names = tuple(t.info.name for t in tools or [] if isinstance(t, llm.RawFunctionTool))
        self.requests.append(FakeRequest(chat_ctx.copy(), names, tool_choice))
        response = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return _Stream(
            self, response, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options
        )
