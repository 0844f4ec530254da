"""Lead scoring with the tenant's rules, and the lead's contact key.

Each rule adds its points when its one signal is present: one of its ``keywords`` said
by the caller (whole words), its ``slot`` filled (by the flow, or by the analysis), or
its ``if`` expression (the flow engine's language, over ``slots``) holding. The score is
clamped to 0-100 and mapped to a priority by the tenant's thresholds. For a meeting call
with no rules, the meeting analysis's lead score is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..record.facts import CallFacts
from ..tenants.model import LeadScoring
from .consent import email_declined
from .lexicon import contains_phrase
from .models import CallAnalysis, Level

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, kw_only=True)
class LeadScore:
    score: int
    priority: Level
    reasons: tuple[str, ...]  # labels of the rules that fired, with their points


@dataclass(frozen=True, kw_only=True)
class Contact:
    key: str  # normalised email, else E.164-ish phone
    email: str | None
    phone: str | None
    name: str | None


def score_call(facts: CallFacts, analysis: CallAnalysis, scoring: LeadScoring) -> LeadScore:
    values = {**analysis.fields, **facts.slots}
    said = " \n ".join(facts.caller_turns)
    total, reasons = 0, []
    for rule in scoring.rules:
        if rule.keywords is not None:
            fired = any(contains_phrase(said, k) for k in rule.keywords)
        elif rule.slot is not None:
            fired = bool(str(values.get(rule.slot, "")).strip())
        else:
            expression = rule.expression()
            fired = expression is not None and bool(expression.evaluate({"slots": dict(values)}))
        if fired:
            total += rule.points
            reasons.append(f"{rule.label} ({rule.points:+d})")
    if not scoring.rules and analysis.meeting is not None:
        total = analysis.meeting.lead_score
        reasons.append(f"meeting lead score ({total})")
    score = max(0, min(100, total))
    return LeadScore(
        score=score, priority=scoring.priorities.for_score(score), reasons=tuple(reasons)
    )


def _typed_value(analysis: CallAnalysis, facts: CallFacts, *names: str) -> str | None:
    for name in names:
        value = facts.slots.get(name) or analysis.fields.get(name)
        if value and value.strip():
            return value.strip()
    return None


def contact_for(facts: CallFacts, analysis: CallAnalysis) -> Contact | None:
    """The caller's contact: an email given in the call (unless the caller declined
    consent to keep it), else a phone number (given, or the SIP caller's number). None
    when the call holds neither."""
    email = _typed_value(analysis, facts, "email", "contact_email")
    if email and (not _EMAIL.match(email) or email_declined(facts)):
        email = None
    phone = _typed_value(analysis, facts, "phone", "phone_number", "callback_number")
    phone = phone or facts.caller_number
    name = _typed_value(analysis, facts, "name", "caller_name")
    if email:
        return Contact(key=email.lower(), email=email.lower(), phone=phone, name=name)
    if phone:
        digits = re.sub(r"[^\d+]", "", phone)
        return Contact(key=digits, email=None, phone=digits, name=name)
    return None
