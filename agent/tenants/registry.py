"""Tenants cached by file fingerprint, reloaded when their files change (no restart).

``get`` compares the tenant folder's fingerprint (the path, size and mtime of
``tenant.yaml``, ``prompts/`` and ``templates/``) with the cached one and reloads only
when it changed; a changed stat with unchanged content keeps the cached object. A call
holds the :class:`Tenant` it was given, so a running call keeps its configuration while
new calls see the new one. Every method does blocking file I/O: from the worker, call
the ``a...`` variants, which run it in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import FrontdeskError, TenantError
from .load import TENANT_FILE, Tenant, known_tenants, load_tenant
from .resolve import RoomKeys, RoutingKind, normalize_number, resolve

logger = logging.getLogger("frontdesk.tenants")

Stamp = tuple[tuple[str, int, int], ...]
WATCHED = (TENANT_FILE, "prompts", "templates")


@dataclass(frozen=True)
class _Entry:
    stamp: Stamp
    digest: str
    tenant: Tenant


class TenantRegistry:
    """The tenants of one ``tenants_dir``, each loaded once per change of its files."""

    def __init__(self, tenants_dir: Path, *, default: str | None = None) -> None:
        self.tenants_dir = tenants_dir
        self.default = default
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: str) -> Tenant:
        """The current tenant ``tenant_id`` (reloaded if its files changed)."""
        folder = self.tenants_dir / tenant_id
        stamp = _stamp(folder)
        with self._lock:
            entry = self._entries.get(tenant_id)
        if entry is not None and entry.stamp == stamp:
            return entry.tenant
        tenant = load_tenant(self.tenants_dir, tenant_id)
        digest = _digest(folder, stamp)
        if entry is not None and entry.digest == digest:
            tenant = entry.tenant  # touched, not changed: keep the same object
        elif entry is not None:
            logger.info("tenant reloaded", extra={"tenant": tenant_id})
        with self._lock:
            self._entries[tenant_id] = _Entry(stamp, digest, tenant)
        return tenant

    def all(self) -> list[Tenant]:
        """Every tenant that loads; a broken one is logged and left out (see
        :meth:`skipped`), so one bad tenant never breaks routing for the others."""
        return self._load_all()[0]

    def skipped(self) -> dict[str, str]:
        """The tenants that do not load, each with its error (``file:line: ...``)."""
        return self._load_all()[1]

    def _load_all(self) -> tuple[list[Tenant], dict[str, str]]:
        tenants: list[Tenant] = []
        skipped: dict[str, str] = {}
        for tenant_id in known_tenants(self.tenants_dir):
            try:
                tenants.append(self.get(tenant_id))
            except FrontdeskError as e:
                skipped[tenant_id] = str(e)
                logger.error("tenant skipped", extra={"tenant": tenant_id, "error": str(e)})
            except Exception as e:  # a bug must not take every other tenant down with it
                skipped[tenant_id] = f"{self.tenants_dir / tenant_id}: {e!r}"
                logger.exception("tenant skipped", extra={"tenant": tenant_id})
        return tenants, skipped

    def find(self, kind: RoutingKind, key: str) -> str | None:
        """The id of the tenant routing ``key``; raises TenantError when two claim it."""
        if kind == "phone_number":
            key = normalize_number(key)
        owners = [t.id for t in self.all() if key in _keys(t, kind)]
        if len(owners) > 1:
            raise TenantError(f"{kind} {key!r} is claimed by several tenants: {owners}")
        return owners[0] if owners else None

    def resolve(self, keys: RoomKeys) -> Tenant:
        """The room's tenant (see :func:`~.resolve.resolve`)."""
        return resolve(self, keys, default=self.default)

    async def aget(self, tenant_id: str) -> Tenant:
        return await asyncio.to_thread(self.get, tenant_id)

    async def aresolve(self, keys: RoomKeys) -> Tenant:
        return await asyncio.to_thread(self.resolve, keys)


def _keys(tenant: Tenant, kind: RoutingKind) -> list[str]:
    routing = tenant.config.routing
    if kind == "meeting_owner":
        return [owner.lower() for owner in routing.meeting_owners]
    return routing.phone_numbers if kind == "phone_number" else routing.campaigns


def _files(folder: Path) -> list[Path]:
    found = []
    for name in WATCHED:
        path = folder / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()))
    return found


def _stamp(folder: Path) -> Stamp:
    stamps = []
    for path in _files(folder):
        try:
            st = path.stat()
        except OSError:
            continue
        stamps.append((str(path.relative_to(folder)), st.st_size, st.st_mtime_ns))
    return tuple(stamps)


def _digest(folder: Path, stamp: Stamp) -> str:
    sha = hashlib.sha256()
    for name, _, _ in stamp:
        sha.update(name.encode())
        try:
            sha.update((folder / name).read_bytes())
        except OSError:
            sha.update(b"\0missing")
    return sha.hexdigest()
