"""LLM-assisted mode on livekit's ``llm.LLM``: the machine's Consults answered, and
replies phrased within a node's instructions.

:class:`LlmAssistant` answers a :class:`~.actions.Consult` with one chat completion:
the node's tools become livekit raw function tools, the recent turns are the context,
and the result is a :class:`~.actions.ToolCalled`, a :class:`~.actions.Replied` or, when
the LLM fails, times out or answers with nothing usable, an
:class:`~.actions.AssistError`. The machine then runs that turn scripted: the call never
dies with the LLM. :meth:`LlmAssistant.phrase` rewords a scripted line the same way,
falling back to the line itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from livekit.agents import APIConnectOptions, llm

from .actions import Assist, AssistError, Consult, Replied, ToolCalled, ToolSpec

logger = logging.getLogger("frontdesk.flow.assist")

DEFAULT_TIMEOUT_S = 4.0
_SYSTEM = (
    "You are the voice of a business's phone agent, following a conversation flow. "
    "Keep replies short and spoken: no lists, no markdown, one or two sentences. "
    "When the caller's words fit one of the tools, call it; never invent facts."
)
_PHRASE = (
    "Reword the line below for the phone, keeping every fact, number and question in it. "
    "Answer with the reworded line only."
)


def raw_tool(spec: ToolSpec) -> llm.RawFunctionTool[Any, Any]:
    """A livekit raw function tool (schema only) for ``spec``."""
    properties = {
        name: {"type": kind, "description": description}
        for name, (kind, description) in spec.parameters.items()
    }
    schema = {
        "name": spec.name,
        "description": spec.description,
        "parameters": {"type": "object", "properties": properties, "required": list(properties)},
    }

    async def _never_called(raw_arguments: dict[str, object]) -> None:
        raise RuntimeError("flow tools are applied by the flow machine, not executed")

    return llm.function_tool(_never_called, raw_schema=schema)


class LlmAssistant:
    """Answers Consults and phrases lines with ``model``, each within ``timeout_s``.
    ``instructions`` (the tenant's ``prompts/assistant.txt``, rendered) follow the fixed
    rules in every request, before the node's own instructions."""

    def __init__(
        self,
        model: llm.LLM[Any],
        *,
        instructions: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._llm = model
        self._system = f"{_SYSTEM}\n{instructions}" if instructions else _SYSTEM
        self._timeout_s = timeout_s

    async def consult(self, consult: Consult) -> Assist:
        system = f"{self._system}\n{consult.instructions}"
        chat = _context(system, consult.history, consult.text)
        tools: list[llm.Tool] = [raw_tool(spec) for spec in consult.tools]
        choice: llm.ToolChoice = "auto" if consult.may_reply else "required"
        try:
            text, calls = await asyncio.wait_for(
                self._complete(chat, tools, choice if tools else "none"), self._timeout_s
            )
        except TimeoutError:
            return _failed(consult.node, f"the LLM did not answer within {self._timeout_s:g} s")
        except Exception as e:  # any provider failure: the turn runs scripted
            return _failed(consult.node, f"the LLM failed: {type(e).__name__}: {e}")
        if calls:
            call = calls[0]
            try:
                arguments = json.loads(call.arguments or "{}")
            except json.JSONDecodeError:
                return _failed(consult.node, f"tool {call.name!r} got arguments that are not JSON")
            if not isinstance(arguments, dict):
                return _failed(consult.node, f"tool {call.name!r} got non-object arguments")
            return ToolCalled(call.name, {str(k): _text(v) for k, v in arguments.items()})
        if consult.may_reply and text.strip():
            return Replied(text.strip())
        return _failed(consult.node, "the LLM neither called a tool nor replied")

    async def phrase(
        self, line: str, instructions: str, history: tuple[tuple[str, str], ...]
    ) -> str:
        """``line`` reworded within ``instructions``, or ``line`` itself on any failure."""
        return await self.try_phrase(line, instructions, history) or line

    async def try_phrase(
        self, line: str, instructions: str, history: tuple[tuple[str, str], ...]
    ) -> str | None:
        """``line`` reworded within ``instructions`` (``line`` if the LLM answered
        nothing), or None when the request failed: the session counts each failed request
        as an unrecoverable error, so a step stops asking after one."""
        chat = _context(f"{self._system}\n{instructions}\n{_PHRASE}", history, line)
        try:
            text, _ = await asyncio.wait_for(self._complete(chat, [], "none"), self._timeout_s)
        except Exception as e:
            logger.warning("phrasing failed, using the scripted line", extra={"error": str(e)})
            return None
        return text.strip() or line

    async def _complete(
        self, chat: llm.ChatContext, tools: list[llm.Tool], choice: llm.ToolChoice
    ) -> tuple[str, list[llm.FunctionToolCall]]:
        parts: list[str] = []
        calls: list[llm.FunctionToolCall] = []
        # one attempt: a failure runs the turn scripted now, rather than after livekit's
        # retries (seconds the caller would wait in silence); the next turn asks again
        once = APIConnectOptions(max_retry=0, timeout=self._timeout_s)
        async with self._llm.chat(
            chat_ctx=chat, tools=tools or None, tool_choice=choice, conn_options=once
        ) as stream:
            async for chunk in stream:
                if chunk.delta is None:
                    continue
                parts.append(chunk.delta.content or "")
                calls.extend(chunk.delta.tool_calls)
        return "".join(parts), calls


def _context(system: str, history: tuple[tuple[str, str], ...], user: str) -> llm.ChatContext:
    chat = llm.ChatContext.empty()
    chat.add_message(role="system", content=system)
    for role, text in history:
        chat.add_message(role="assistant" if role == "agent" else "user", content=text)
    chat.add_message(role="user", content=user)
    return chat


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value if isinstance(value, str) else json.dumps(value)


def _failed(node: str, error: str) -> AssistError:
    logger.warning(
        "LLM assist failed; the turn runs scripted", extra={"node": node, "error": error}
    )
    return AssistError(error)
