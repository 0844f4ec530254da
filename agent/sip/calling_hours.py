"""When a tenant's outbound calls may ring: ``routing.calling_hours`` in tenant.yaml
(tenant-local, written like ``hours``, with holidays and exceptional days), else the
tenant's opening hours. A call asked for outside them rings at their next start; a
tenant with no hours at all may ring any time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ..errors import TenantError
from ..tenants import Tenant
from ..tenants.context import calling_window


def rings_at(tenant: Tenant, at: datetime) -> datetime:
    """When a call asked for ``at`` (timezone-aware) rings: ``at`` inside the calling
    hours, else their next start (UTC). Raises TenantError when the calling hours never
    open within a year."""
    window = calling_window(tenant.config)
    if window is None:
        return at.astimezone(UTC)
    found = window.next_open(at.astimezone(ZoneInfo(tenant.config.timezone)))
    if found is None:
        source = "routing.calling_hours" if tenant.config.routing.calling_hours else "hours"
        raise TenantError(
            f"{tenant.path}: {source}: no calling hours within a year "
            f"after {at.isoformat()}: a call cannot be scheduled"
        )
    return found.astimezone(UTC)
