"""Tell a tenant's owner that a budget cap was reached: once a month, through the outbox
(its idempotency key makes a second alert of the same month a no-op)."""

from __future__ import annotations

import logging

from ..postcall.owner_mail import email_owner_once
from ..store import Store
from ..tenants import Tenant

logger = logging.getLogger("frontdesk.budget")


async def tell_owner_once(store: Store, tenant: Tenant, *, month: str, what: str) -> bool:
    """Enqueue the owner's alert for ``month`` unless one is; True when it is new. A
    tenant without an owner email is only logged."""
    logger.warning("budget cap reached", extra={"tenant": tenant.id, "month": month})
    return await email_owner_once(
        store,
        tenant,
        purpose="budget_alert",
        subject=f"{tenant.name}: call budget reached for {month}",
        text=(
            f"{what}\n\nFrontdesk keeps to the budget in tenants/{tenant.id}/tenant.yaml "
            "(budget: per_call_usd, monthly_usd). Raise it there to take calls again; "
            f"`frontdesk usage --tenant {tenant.id}` shows what the month has cost."
        ),
        key=f"budget:{tenant.id}:{month}",
    )
