"""Which notifications one analysed call produces, rendered and ready for the outbox.

- the owner summary email, to the tenant's ``notifications.owner_email``;
- a customer confirmation email, when the tenant enables it, the caller gave an email
  and did not decline consent at the flow's lead gate;
- one webhook per tenant webhook subscribed to ``call.analyzed``.

Each carries an idempotency key derived from the call and its target, so planning the
same call twice (a replay) enqueues nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import JsonValue

from ..record.facts import CallFacts
from ..store.outbox import NewNotification
from ..tenants import Tenant
from ..tenants.model import Webhook
from .messages import EmailMessage, WebhookMessage
from .models import AnalysisOutcome
from .score import Contact, LeadScore
from .templates import TemplateName as Purpose
from .templates import render_email

CALL_ANALYZED = "call.analyzed"


@dataclass(frozen=True, kw_only=True)
class Scored:
    """The lead side of an analysed call (None fields when the call left no contact)."""

    score: LeadScore
    contact: Contact | None


def transcript_link(call_id: str) -> str:
    """Where the call's transcript is: a command, not a URL. The dispatcher has no page
    for a call yet (it needs the staff login first), and a link must not lead nowhere."""
    return f"frontdesk calls show {call_id}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown length"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def payload(
    facts: CallFacts, tenant: Tenant, outcome: AnalysisOutcome, scored: Scored, link: str
) -> dict[str, JsonValue]:
    """The JSON of a ``call.analyzed`` webhook; also the templates' variables."""
    lead: dict[str, JsonValue] | None = None
    if scored.contact is not None:
        lead = {
            "contact": scored.contact.key,
            "name": scored.contact.name,
            "score": scored.score.score,
            "priority": scored.score.priority,
            "reasons": list(scored.score.reasons),
        }
    return {
        "event": CALL_ANALYZED,
        "tenant": {"id": tenant.id, "name": tenant.name},
        "call": {
            "id": facts.id,
            "source": facts.source,
            "caller": facts.caller,
            "started_at": facts.started_at.isoformat(),
            "started": facts.started_at.astimezone(tenant.tz).strftime("%a %d %b %Y %H:%M %Z"),
            "duration": _duration(facts.duration_s),
            "duration_s": facts.duration_s,
            "end_node": facts.end_node,
        },
        "analysis": outcome.analysis.model_dump(mode="json"),
        "method": outcome.method,
        "lead": lead,
        "transcript_link": link,
    }


def _key(call_id: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    return f"{call_id}:{parts[0]}:{digest}"


def _email(
    facts: CallFacts,
    tenant: Tenant,
    purpose: Purpose,
    to: str,
    context: Mapping[str, object],
) -> NewNotification:
    default_subject = f"Call {facts.id}" if purpose == "owner_summary" else tenant.name
    rendered = render_email(tenant.folder, purpose, context, default_subject=default_subject)
    message = EmailMessage(purpose=purpose, to=to, subject=rendered.subject, text=rendered.text)
    return NewNotification(
        tenant=facts.tenant,
        call_id=facts.id,
        channel="email",
        target=to,
        template=purpose,
        idempotency_key=_key(facts.id, purpose, to.lower()),
        payload=message.model_dump(mode="json"),
    )


def _webhook(facts: CallFacts, hook: Webhook, body: dict[str, JsonValue]) -> NewNotification:
    message = WebhookMessage(url=hook.url, event=CALL_ANALYZED, body=body)
    return NewNotification(
        tenant=facts.tenant,
        call_id=facts.id,
        channel="webhook",
        target=hook.url,
        idempotency_key=_key(facts.id, "webhook", hook.url, CALL_ANALYZED),
        payload=message.model_dump(mode="json"),
    )


def plan_notifications(
    facts: CallFacts,
    tenant: Tenant,
    outcome: AnalysisOutcome,
    scored: Scored,
) -> list[NewNotification]:
    """The outbox rows for this call (blocking: renders the tenant's templates)."""
    config = tenant.config.notifications
    context = payload(facts, tenant, outcome, scored, transcript_link(facts.id))
    notes: list[NewNotification] = []
    if config.owner_email:
        notes.append(_email(facts, tenant, "owner_summary", config.owner_email, context))
    customer = scored.contact.email if scored.contact else None
    if config.customer_confirmation and customer and facts.consent is not False:
        notes.append(_email(facts, tenant, "customer_confirmation", customer, context))
    notes += [_webhook(facts, h, context) for h in config.webhooks if CALL_ANALYZED in h.events]
    return notes
