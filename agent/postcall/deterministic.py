"""Analysis without an LLM: the flow's slots first, then the flow engine's own slot
extractors over the caller's turns, keywords for the call type and a lexicon sentiment.

Field values come, in order, from a slot of the same name, then from the extractor of
the field's type (:data:`agent.flow.slots.EXTRACTORS`) over the caller's turns. Emails,
phones and dates are read from any turn; numbers and names only from turns that name
them ("party of eight", "my name is ..."), so a phone number is not read as an amount.
Free text is only ever taken from a slot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from ..flow.model import AskType
from ..flow.slots import EXTRACTORS, SlotContext, SlotValue
from ..record.facts import CallFacts
from ..tenants.model import Analyzer, AnalyzerField, CallType
from . import lexicon
from .meeting import meeting_analysis
from .models import CallAnalysis

_TYPE_OF: dict[str, AskType] = {
    "datetime": AskType.DATETIME,
    "date": AskType.DATETIME,
    "phone": AskType.PHONE,
    "email": AskType.EMAIL,
    "number": AskType.NUMBER,
    "name": AskType.NAME,
}
_NAME_CUE = re.compile(r"\b(my name|name is|name's|this is|i'm|i am|call me)\b")
_STOP = frozenset({
    "the", "and", "for", "with", "that", "this", "they", "their", "caller", "calls",
    "about", "from", "what", "when", "will", "would", "want", "wants",
})  # fmt: skip


def _cue_words(name: str, spec: AnalyzerField) -> set[str]:
    words = set(re.split(r"[_\W]+", name.lower())) | set(lexicon.words_of(spec.description))
    return {w for w in words if len(w) > 3 and w not in _STOP}


def _as_text(found: SlotValue, field_type: str) -> str:
    value = found.value
    if isinstance(value, datetime):
        return value.date().isoformat() if field_type == "date" else value.isoformat()
    return str(value)


def extract_field(
    name: str, spec: AnalyzerField, turns: Sequence[str], ctx: SlotContext
) -> str | None:
    """One field's value from the caller's turns, or None."""
    ask = _TYPE_OF.get(spec.type)
    if ask is None:
        return None
    cues = _cue_words(name, spec)
    for text in turns:
        lowered = text.lower()
        if spec.type == "name" and not _NAME_CUE.search(lowered):
            continue
        if spec.type == "number" and not cues & set(lexicon.words_of(lowered)):
            continue
        found = EXTRACTORS[ask](text, ctx)
        if found is not None:
            return _as_text(found, spec.type)
    return None


def classify(facts: CallFacts, analyzer: Analyzer) -> str | None:
    """The call type: a ``call_type`` slot, a slot value or a visited node named like a
    type, else the type whose name and description words the caller said most."""
    types = analyzer.call_types
    explicit = facts.slots.get("call_type")
    if explicit in types:
        return explicit
    for value in facts.slots.values():
        if value.strip().lower() in types:
            return value.strip().lower()
    for node in reversed(facts.path):
        if node in types:
            return node
    said = lexicon.words_of(" ".join(facts.caller_turns))
    best, best_hits = None, 0
    for name, call_type in types.items():
        cues = {w for w in [name, *lexicon.words_of(call_type.description)] if len(w) > 3}
        cues -= _STOP
        hits = sum(1 for w in said if w in cues or w.rstrip("s") in cues)
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def fill_fields(call_type: CallType | None, facts: CallFacts, ctx: SlotContext) -> dict[str, str]:
    if call_type is None:
        return {}
    fields: dict[str, str] = {}
    for name, spec in call_type.fields.items():
        value = facts.slots.get(name) or extract_field(name, spec, facts.caller_turns, ctx)
        if value:
            fields[name] = value
    return fields


def summarize(facts: CallFacts, call_type: str | None, fields: dict[str, str]) -> str:
    kind = (call_type or "general").replace("_", " ")
    who = fields.get("name") or facts.slots.get("name")
    parts = [f"{kind.capitalize()} call{f' from {who}' if who else ''} ({facts.source})."]
    details = [f"{k.replace('_', ' ')}: {v}" for k, v in fields.items() if k != "name"]
    if details:
        parts.append("Details: " + "; ".join(details) + ".")
    if facts.handoff_requested:
        parts.append("The caller asked for a person.")
    if facts.end_node:
        parts.append(
            f"The call ended at '{facts.end_node}' after {len(facts.caller_turns)} caller turns."
        )
    return " ".join(parts)[:2000]


def analyse_deterministic(facts: CallFacts, analyzer: Analyzer, ctx: SlotContext) -> CallAnalysis:
    call_type = classify(facts, analyzer)
    fields = fill_fields(analyzer.call_types.get(call_type or ""), facts, ctx)
    return CallAnalysis(
        call_type=call_type,
        fields=fields,
        summary=summarize(facts, call_type, fields),
        sentiment=lexicon.sentiment(facts.caller_turns),
        meeting=meeting_analysis(facts, ctx) if facts.is_meeting else None,
    )
