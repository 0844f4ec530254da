"""A deterministic :class:`MeetingAnalysis` from keyword sets over the caller's turns."""

from __future__ import annotations

from ..flow.slots import SlotContext, extract_datetime, extract_number
from ..record.facts import CallFacts
from . import lexicon
from .models import Level, MeetingAnalysis


def _level(value: int, high: int, medium: int) -> Level:
    return "high" if value >= high else "medium" if value >= medium else "low"


def meeting_analysis(facts: CallFacts, ctx: SlotContext) -> MeetingAnalysis:
    said = facts.caller_turns
    pains = lexicon.turns_with(said, lexicon.PAIN)
    signals = lexicon.turns_with(said, lexicon.BUYING)
    deciders = lexicon.turns_with(said, lexicon.DECIDERS)
    budget_turns = lexicon.turns_with(said, ("budget", "spend", "pounds", "dollars", "euros"))
    budget_value = next((v for t in budget_turns if (v := extract_number(t, ctx))), None)
    budget = facts.slots.get("budget") or (budget_value.display if budget_value else None)
    timeline_turns = lexicon.turns_with(said, lexicon.TIMELINE)
    when = next((v for t in said if (v := extract_datetime(t, ctx))), None)
    timeline = facts.slots.get("timeline") or (
        timeline_turns[0] if timeline_turns else (when.display if when else None)
    )
    score = min(
        100,
        15 * len(signals)
        + 10 * len(pains)
        + 15 * bool(budget)
        + 15 * bool(timeline)
        + 10 * bool(deciders),
    )
    words = sum(len(lexicon.words_of(t)) for t in said)
    status = "qualified" if score >= 60 else "needs_follow_up" if score >= 30 else "unqualified"
    steps = ["Send the pricing they asked about"] if signals else []
    if score >= 30:
        steps.append("Schedule a follow-up call")
    return MeetingAnalysis(
        lead_score=score,
        qualification_status=status if said else "unknown",
        key_insights=(pains + signals)[:5],
        pain_points=pains[:5],
        buying_signals=signals[:5],
        budget=budget,
        timeline=timeline,
        decision_makers=deciders[:5],
        next_steps=steps,
        engagement_level=_level(words, 150, 50),
        follow_up_priority=_level(score, 60, 30),
    )
