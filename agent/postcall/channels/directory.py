"""Where a webhook's signing comes from: its tenant's own configuration, never the row.

An outbox row says which tenant it is for and which URL to post to. The secret (the
``secret_env`` naming the environment variable that holds it) and whether the webhook
may go unsigned are read from that tenant's ``tenant.yaml`` at delivery: a row naming
another tenant's secret is signed with its own tenant's, and a URL its tenant does not
list is not sent at all. One protocol, the tenants' implementation, and a static one
for tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ...errors import DeliveryError, FrontdeskError
from ...tenants import TenantRegistry


@dataclass(frozen=True)
class WebhookAuth:
    """How one of a tenant's webhooks is signed (from its ``notifications.webhooks``)."""

    secret_env: str | None = None
    allow_unsigned: bool = False


class WebhookDirectory(Protocol):
    def auth(self, tenant: str, url: str) -> WebhookAuth:
        """The signing of ``tenant``'s webhook at ``url``; raises :class:`DeliveryError`
        when the tenant lists no such webhook (blocking: may read the tenant's files)."""
        ...


class TenantWebhooks:
    """The webhooks of the tenants in ``tenants_dir`` (reloaded when their files change)."""

    def __init__(self, tenants_dir: Path) -> None:
        self.registry = TenantRegistry(tenants_dir)

    def auth(self, tenant: str, url: str) -> WebhookAuth:
        try:
            config = self.registry.get(tenant).config
        except FrontdeskError as e:
            raise DeliveryError(
                f"webhook {url}: tenant {tenant!r} does not load ({e})", retryable=True
            ) from e
        for hook in config.notifications.webhooks:
            if hook.url == url:
                return WebhookAuth(hook.secret_env, hook.allow_unsigned)
        raise DeliveryError(
            f"webhook {url} is not one of tenant {tenant!r}'s webhooks (tenant.yaml "
            "notifications.webhooks): not sent",
            retryable=False,
        )


@dataclass(frozen=True)
class StaticWebhooks:
    """A fixed table of (tenant, url) -> signing."""

    hooks: Mapping[tuple[str, str], WebhookAuth]

    def auth(self, tenant: str, url: str) -> WebhookAuth:
        try:
            return self.hooks[tenant, url]
        except KeyError:
            raise DeliveryError(
                f"webhook {url} is not one of tenant {tenant!r}'s webhooks: not sent",
                retryable=False,
            ) from None
