"""What an outbox row carries: an email or a webhook, as a validated JSON payload.

The payload is written with the analysis (one transaction) and read back by whichever
processor claims the row. Secrets are never stored, nor chosen by the row: a webhook is
signed with the secret its tenant's configuration gives its URL
(:mod:`.channels.directory`). ``secret_env`` is read from rows written before that, and
ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter


class Attachment(BaseModel):
    """A text attachment (a meeting's ICS file): ``text/<subtype>[; key=value]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filename: str = Field(min_length=1)
    content_type: str = Field(pattern=r"^text/[a-z0-9.+-]+(; *[a-z]+=[A-Za-z0-9-]+)*$")
    content: str


class EmailMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["email"] = "email"
    purpose: Literal[
        "owner_summary",
        "customer_confirmation",
        "meeting_invitation",
        "meeting_update",
        "meeting_cancellation",
        "meeting_reminder",
        "meeting_no_show",
        "budget_alert",
        "handoff_missed",
    ]
    to: str = Field(min_length=3)
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()


class WebhookMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["webhook"] = "webhook"
    url: str = Field(min_length=8)
    secret_env: str | None = None  # ignored: the tenant's configuration decides
    event: str
    body: dict[str, JsonValue]


OutboxMessage = Annotated[EmailMessage | WebhookMessage, Field(discriminator="kind")]
MESSAGE = TypeAdapter[EmailMessage | WebhookMessage](OutboxMessage)
"""Validates an outbox payload (``MESSAGE.validate_python(row.payload)``)."""
