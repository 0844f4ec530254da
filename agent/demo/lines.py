"""What the caller expects to hear: every line the tenant's flow can speak, as phrases.

A caller on a phone tree knows roughly what it may be told. The simulated caller's ear
gives these phrases to the offline recognizer as hints, so it decodes the agent's
sentences against them (and falls back to free speech for anything else). Lines that
say slots back ("Thanks, Peter Smith") cannot be listed ahead; the ear adds the agent's
published transcript of its speech (:func:`sentences`) once it arrives, and the grammar's
acoustic rejection still decides whether the audio says it. Free-speech
decoding of synthetic speech by PocketSphinx gets only about half the words right.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from ..flow.templates import TemplateRenderer
from ..session import CallPlan
from ..tenants.context import template_context

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CLAUSE = re.compile(r",\s+")


def flow_texts(plan: CallPlan) -> list[str]:
    """Every template the flow's nodes speak (not a handoff's reason or summary)."""
    spoken = {"text", "prompt", "reprompts", "outside_hours", "email_prompt", "consent"}
    spoken |= {"followup", "unknown"}
    spoken |= {"intro", "questions", "say", "tools"}
    return [
        source
        for node in plan.flow.nodes.values()
        for field, source in node.templates()
        if field[0] in spoken
    ]


def expected_phrases(plan: CallPlan) -> tuple[str, ...]:
    """Sentences (and their comma clauses) the agent may say, at any time of day."""
    renderer = TemplateRenderer(template_context(plan.tenant))
    today = datetime.now(plan.tenant.tz).date()
    phrases: list[str] = []
    for source in flow_texts(plan):
        for hour in (9, 14, 19):  # morning, afternoon, evening greetings
            now = datetime.combine(today, time(hour), plan.tenant.tz)
            try:
                text = renderer.render(source, slots={}, now=now)
            except Exception:  # a line that needs slots: not part of the ear's phrase list
                continue
            phrases.extend(sentences(text))
    return tuple(dict.fromkeys(phrases))


def sentences(text: str) -> tuple[str, ...]:
    """The sentences of ``text`` and their comma clauses, as recognizer phrases."""
    text = " ".join(text.replace("&", " and ").split())
    found: list[str] = []
    for sentence in _SENTENCE.split(text.strip()):
        found.append(sentence)
        found.extend(_CLAUSE.split(sentence))
    return tuple(dict.fromkeys(p for p in found if p.strip()))
