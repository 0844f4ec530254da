"""The channel protocol and the set of channels a processor delivers through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ...config import Settings
from ...errors import DeliveryError
from ..messages import EmailMessage, WebhookMessage


class EmailChannel(Protocol):
    """Sends one email; raises :class:`DeliveryError` (``retryable`` says if retrying helps)."""

    @property
    def name(self) -> str: ...

    async def send(self, message: EmailMessage, *, idempotency_key: str) -> None: ...


class WebhookSender(Protocol):
    """Posts one of ``tenant``'s webhooks (signed as its configuration says); raises
    :class:`DeliveryError`."""

    @property
    def name(self) -> str: ...

    async def send(self, message: WebhookMessage, *, idempotency_key: str, tenant: str) -> None: ...


@dataclass(frozen=True)
class Channels:
    """The channels one outbox processor delivers through."""

    email: EmailChannel | None
    webhook: WebhookSender

    async def deliver(
        self, message: EmailMessage | WebhookMessage, *, idempotency_key: str, tenant: str
    ) -> str:
        """Deliver ``tenant``'s ``message``; returns the channel's name."""
        if isinstance(message, WebhookMessage):
            await self.webhook.send(message, idempotency_key=idempotency_key, tenant=tenant)
            return self.webhook.name
        if self.email is None:
            raise DeliveryError(
                "no email transport is configured: set FRONTDESK_SMTP_HOST (SMTP) "
                "or RESEND_API_KEY (Resend)",
                retryable=False,
            )
        await self.email.send(message, idempotency_key=idempotency_key)
        return self.email.name


def build_channels(settings: Settings) -> Channels:
    """SMTP when ``FRONTDESK_SMTP_HOST`` is set, else Resend when ``RESEND_API_KEY`` is."""
    from .directory import TenantWebhooks
    from .resend_email import ResendChannel
    from .smtp import SmtpChannel
    from .webhook import WebhookChannel

    email: EmailChannel | None = None
    if settings.smtp_host:
        email = SmtpChannel.from_settings(settings)
    elif settings.resend_api_key is not None:
        email = ResendChannel.from_settings(settings)
    webhook = WebhookChannel(
        directory=TenantWebhooks(settings.tenants_dir), timeout_s=settings.webhook_timeout_s
    )
    return Channels(email=email, webhook=webhook)
