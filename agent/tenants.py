"""Tenants: one business each, configured as files in ``tenants/<id>/tenant.yaml``.

This is the first slice: a tenant names its flow, language and timezone, and a room is
resolved to a tenant from its dispatch metadata (``{"tenant": "<id>"}``) or the default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import TenantError
from .yamlfile import parse_model, read_source

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class TenantConfig(BaseModel):
    """The validated contents of ``tenant.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    language: str = "en-US"
    timezone: str = "UTC"
    flow: str = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown timezone {value!r}") from e
        return value


@dataclass(frozen=True)
class Tenant:
    id: str
    config: TenantConfig
    path: Path

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)


def load_tenant(tenants_dir: Path, tenant_id: str) -> Tenant:
    """Load and validate ``tenants/<tenant_id>/tenant.yaml``."""
    if not TENANT_ID.match(tenant_id):
        raise TenantError(f"invalid tenant id {tenant_id!r}: use lowercase letters, digits, '-'")
    path = tenants_dir / tenant_id / "tenant.yaml"
    if not path.is_file():
        known = (
            sorted(p.name for p in tenants_dir.iterdir() if (p / "tenant.yaml").is_file())
            if tenants_dir.is_dir()
            else []
        )
        raise TenantError(
            f"unknown tenant {tenant_id!r}: {path} does not exist "
            f"(known tenants: {', '.join(known) or 'none'})"
        )
    text = read_source(path, error=TenantError, what="tenant file")
    expected = "a tenant file is a mapping with name and flow"
    config, _ = parse_model(text, str(path), TenantConfig, error=TenantError, expected=expected)
    return Tenant(id=tenant_id, config=config, path=path)


def tenant_id_for_room(metadata: str | None, default: str) -> str:
    """Find the tenant id in a room's or dispatch's JSON metadata, else the default."""
    if not metadata:
        return default
    try:
        data = json.loads(metadata)
    except json.JSONDecodeError as e:
        raise TenantError(f"room metadata is not JSON: {e.msg} at column {e.colno}") from e
    if not isinstance(data, dict):
        raise TenantError('room metadata must be a JSON object like {"tenant": "<id>"}')
    tenant = data.get("tenant", default)
    if not isinstance(tenant, str):
        raise TenantError("room metadata field 'tenant' must be a string")
    return tenant
