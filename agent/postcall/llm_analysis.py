"""Analysis by an LLM: one structured-output request through livekit's ``llm.LLM``,
validated by pydantic, retried once with the validation error, else given up.

The request goes through livekit's ``llm.LLM`` interface, with the provider's JSON mode
where it has one (:func:`json_mode`); the system message holds the tenant's
``prompts/analyzer.txt`` (when it has one), the call types and fields of its analyzer
schema, and the JSON Schema of :class:`CallAnalysis`; the reply must be that JSON
alone (a fenced block is tolerated). A reply that does not parse, does not validate,
names an unknown call type or field, or lacks the meeting fields of a meeting call is
invalid. :func:`analyse_with_llm` raises :class:`LLMAnalysisError` after the second
invalid reply; the caller falls back to the deterministic analysis and records why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from livekit.agents import llm
from livekit.plugins import google, openai
from pydantic import ValidationError

from ..errors import FrontdeskError
from ..providers.kinds import AnyLLM
from ..record.facts import CallFacts
from ..tenants.model import Analyzer
from .models import CallAnalysis

MAX_ATTEMPTS = 2
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)

INSTRUCTIONS = """You analyse a finished phone call for a business and reply with JSON only.
Choose call_type from the call types below (null if none fits). In fields, give only the
fields of that call type that the call actually contains, each as a string (ISO 8601 for
dates and times). summary: two or three plain sentences. sentiment: the caller's mood
from -1 (angry) to 1 (delighted). {meeting_rule}
Call types:
{call_types}
Reply with a single JSON object matching this JSON Schema, and nothing else:
{schema}"""


class LLMAnalysisError(FrontdeskError):
    """The LLM gave no valid analysis (the message holds the last reason)."""

    def __init__(self, message: str, *, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(message)


@dataclass(frozen=True)
class LLMReply:
    analysis: CallAnalysis
    attempts: int


def json_mode(model: AnyLLM) -> dict[str, Any]:
    """Request options that make the provider answer with one JSON object (its JSON
    mode); the reply is still validated here. Providers without one get none."""
    if isinstance(model, openai.LLM):
        return {"response_format": {"type": "json_object"}}
    if isinstance(model, google.LLM):
        return {"response_mime_type": "application/json"}
    return {}


def describe_call_types(analyzer: Analyzer) -> str:
    lines = []
    for name, call_type in analyzer.call_types.items():
        lines.append(f"- {name}: {call_type.description}")
        for field, spec in call_type.fields.items():
            detail = f" - {spec.description}" if spec.description else ""
            lines.append(f"    - {field} ({spec.type}){detail}")
    return "\n".join(lines) or "(none: use null)"


def build_prompt(
    facts: CallFacts, analyzer: Analyzer, tenant_prompt: str | None
) -> llm.ChatContext:
    meeting_rule = (
        "This was a sales meeting: fill meeting with every MeetingAnalysis field."
        if facts.is_meeting
        else "meeting must be null."
    )
    system = INSTRUCTIONS.format(
        meeting_rule=meeting_rule,
        call_types=describe_call_types(analyzer),
        schema=json.dumps(CallAnalysis.model_json_schema()),
    )
    ctx = llm.ChatContext.empty()
    ctx.add_message(
        role="system", content=f"{tenant_prompt.strip()}\n\n{system}" if tenant_prompt else system
    )
    ctx.add_message(
        role="user",
        content=f"Transcript:\n{facts.transcript()}\n\nSlots: {json.dumps(dict(facts.slots))}",
    )
    return ctx


def parse_reply(text: str, facts: CallFacts, analyzer: Analyzer) -> CallAnalysis:
    """Validate one reply; raises ValueError naming what is wrong."""
    body = text.strip()
    if fenced := _FENCE.match(body):
        body = fenced.group(1)
    try:
        analysis = CallAnalysis.model_validate_json(body)
    except ValidationError as e:
        first = e.errors()[0]
        raise ValueError(
            f"invalid analysis JSON ({e.error_count()} error(s)): {first['msg']} at {first['loc']}"
        ) from e
    if analysis.call_type is not None:
        call_type = analyzer.call_types.get(analysis.call_type)
        if call_type is None:
            known = ", ".join(analyzer.call_types) or "none"
            raise ValueError(f"unknown call_type {analysis.call_type!r} (known: {known})")
        unknown = sorted(set(analysis.fields) - set(call_type.fields))
        if unknown:
            raise ValueError(
                f"fields not in call type {analysis.call_type!r}: {', '.join(unknown)}"
            )
    if facts.is_meeting and analysis.meeting is None:
        raise ValueError("a meeting call needs the meeting fields")
    if not facts.is_meeting and analysis.meeting is not None:
        analysis = analysis.model_copy(update={"meeting": None})
    return analysis


async def analyse_with_llm(
    model: AnyLLM, facts: CallFacts, analyzer: Analyzer, tenant_prompt: str | None
) -> LLMReply:
    """Ask ``model``; one retry when the reply is invalid. Raises LLMAnalysisError."""
    ctx = build_prompt(facts, analyzer, tenant_prompt)
    reason = "no attempt made"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            reply = await model.chat(chat_ctx=ctx, extra_kwargs=json_mode(model)).collect()
        except Exception as e:  # a provider error of any kind: fall back, say why
            raise LLMAnalysisError(
                f"LLM request failed on attempt {attempt}: {e!r}", attempts=attempt
            ) from e
        try:
            return LLMReply(parse_reply(reply.text, facts, analyzer), attempt)
        except ValueError as e:
            reason = str(e)
        ctx.add_message(role="assistant", content=reply.text)
        ctx.add_message(
            role="user",
            content=f"That reply was invalid ({reason}). Reply with the JSON object only.",
        )
    raise LLMAnalysisError(
        f"invalid LLM output after {MAX_ATTEMPTS} attempts: {reason}", attempts=MAX_ATTEMPTS
    )
