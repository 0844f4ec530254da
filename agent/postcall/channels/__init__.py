"""Notification channels: each delivers one outbox message, or raises DeliveryError.

:class:`EmailChannel` and :class:`WebhookSender` are the protocols; :mod:`.smtp` and
:mod:`.resend_email` send email, :mod:`.webhook` posts signed JSON (its secret from
the tenant's configuration, :mod:`.directory`). :func:`build_channels`
picks them from the settings.
"""

from __future__ import annotations

from .base import Channels, EmailChannel, WebhookSender, build_channels
from .directory import StaticWebhooks, TenantWebhooks, WebhookAuth, WebhookDirectory
from .resend_email import ResendChannel
from .smtp import SmtpChannel
from .webhook import WebhookChannel

__all__ = [
    "Channels",
    "EmailChannel",
    "ResendChannel",
    "SmtpChannel",
    "StaticWebhooks",
    "TenantWebhooks",
    "WebhookAuth",
    "WebhookChannel",
    "WebhookDirectory",
    "WebhookSender",
    "build_channels",
]
