"""Tenants: one business each, configured as files in ``tenants/<id>/``.

- :mod:`.model`: the pydantic models of ``tenant.yaml`` and its JSON Schema.
- :mod:`.load`: a tenant folder read into a :class:`Tenant`, with file:line errors.
- :mod:`.resolve`: a room's tenant from its metadata, SIP called number or campaign.
- :mod:`.registry`: tenants cached and reloaded when their files change.
- :mod:`.check`: ``frontdesk tenant check``: a tenant and everything it references.
"""

from __future__ import annotations

from .load import Tenant, known_tenants, load_tenant, parse_tenant
from .model import TenantConfig, tenant_json_schema
from .registry import TenantRegistry
from .resolve import SORRY, RoomKeys, normalize_number, resolve, tenant_id_for_room

__all__ = [
    "SORRY",
    "RoomKeys",
    "Tenant",
    "TenantConfig",
    "TenantRegistry",
    "known_tenants",
    "load_tenant",
    "normalize_number",
    "parse_tenant",
    "resolve",
    "tenant_id_for_room",
    "tenant_json_schema",
]
