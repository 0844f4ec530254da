"""Read ``tenants/<id>/tenant.yaml`` into a :class:`Tenant`, with file:line errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from ..errors import TenantError, UnknownTenantError
from ..yamlfile import (
    SourceLines,
    problems_error,
    read_source,
    read_yaml,
    validation_problems,
)
from .model import TenantConfig
from .suggest import with_hints

TENANT_ID_MAX = 63  # the store's tenant columns hold 64 (tests/unit/test_store_limits.py)
TENANT_ID = re.compile(rf"^[a-z0-9][a-z0-9-]{{0,{TENANT_ID_MAX - 1}}}$")
TENANT_FILE = "tenant.yaml"
PROMPTS = ("assistant", "analyzer")


@dataclass(frozen=True)
class Tenant:
    """One loaded tenant. ``path`` is its ``tenant.yaml``; the folder holds the rest."""

    id: str
    config: TenantConfig
    path: Path

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def knowledge_dir(self) -> Path:
        return self.folder / "knowledge"

    def prompt_path(self, name: str) -> Path:
        """``prompts/<name>.txt`` (``assistant`` for LLM mode, ``analyzer`` for analysis)."""
        return self.folder / "prompts" / f"{name}.txt"

    def prompt(self, name: str) -> str | None:
        """The text of ``prompts/<name>.txt``, or None if the tenant has none."""
        path = self.prompt_path(name)
        if not path.is_file():
            return None
        return read_source(path, error=TenantError, what="prompt file")

    def template_path(self, name: str) -> Path:
        """``templates/<name>.txt`` (Jinja2), e.g. ``customer_confirmation``."""
        return self.folder / "templates" / f"{name}.txt"


def known_tenants(tenants_dir: Path) -> list[str]:
    """Ids of the folders of ``tenants_dir`` holding a ``tenant.yaml``, sorted."""
    if not tenants_dir.is_dir():
        return []
    return sorted(p.name for p in tenants_dir.iterdir() if (p / TENANT_FILE).is_file())


def tenant_path(tenants_dir: Path, tenant_id: str) -> Path:
    """The ``tenant.yaml`` of ``tenant_id``; raises TenantError for a bad or unknown id."""
    if not TENANT_ID.match(tenant_id):
        rule = f"use lowercase letters, digits and '-', at most {TENANT_ID_MAX} characters"
        raise UnknownTenantError(
            f"invalid tenant id {tenant_id!r}: {rule}", kind="tenant", key=tenant_id
        )
    path = tenants_dir / tenant_id / TENANT_FILE
    if not path.is_file():
        known = ", ".join(known_tenants(tenants_dir)) or "none"
        message = f"unknown tenant {tenant_id!r}: {path} does not exist (known tenants: {known})"
        raise UnknownTenantError(message, kind="tenant", key=tenant_id)
    return path


def parse_tenant(text: str, source: str) -> TenantConfig:
    """Validate the YAML ``text`` of a tenant file; errors name ``source``:line."""
    expected = "a tenant file is a mapping with name and flow"
    data, lines = read_yaml(text, source, error=TenantError, expected=expected)
    try:
        return TenantConfig.model_validate(data)
    except ValidationError as e:
        found = with_hints(validation_problems(e, lines), e, TenantConfig)
        raise problems_error(found, source, TenantError) from e


def tenant_lines(tenant: Tenant) -> SourceLines:
    """Where each field of a loaded tenant's file is (to name ``file:line`` in a check)."""
    text = read_source(tenant.path, error=TenantError, what="tenant file")
    expected = "a tenant file is a mapping with name and flow"
    return read_yaml(text, str(tenant.path), error=TenantError, expected=expected)[1]


def load_tenant(tenants_dir: Path, tenant_id: str) -> Tenant:
    """Load and validate ``tenants/<tenant_id>/tenant.yaml`` (blocking file I/O)."""
    path = tenant_path(tenants_dir, tenant_id)
    text = read_source(path, error=TenantError, what="tenant file")
    return Tenant(id=tenant_id, config=parse_tenant(text, str(path)), path=path)
