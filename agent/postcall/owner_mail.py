"""One email to a tenant's owner, through the outbox, once per key (a budget alert, a
handoff nobody took): the outbox delivers and retries it; a second one with the same
idempotency key is a no-op."""

from __future__ import annotations

from ..store import Store
from ..store.outbox import NewNotification, enqueue
from ..tenants import Tenant
from .messages import EmailMessage


async def email_owner_once(
    store: Store, tenant: Tenant, *, purpose: str, subject: str, text: str, key: str
) -> bool:
    """Enqueue the email unless one with ``key`` is; True when it is new. False too for
    a tenant without an owner email (``notifications.owner_email``)."""
    to = tenant.config.notifications.owner_email
    if to is None:
        return False
    message = EmailMessage(purpose=purpose, to=to, subject=subject, text=text)
    note = NewNotification(
        tenant=tenant.id,
        call_id=None,
        channel="email",
        target=to,
        template=purpose,
        idempotency_key=key,
        payload=message.model_dump(mode="json"),
    )
    async with store.transaction() as s:
        return await enqueue(s, note) is not None
