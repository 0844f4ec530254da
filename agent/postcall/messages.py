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


class EmailMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["email"] = "email"
    purpose: Literal["owner_summary", "customer_confirmation", "budget_alert"]
    to: str = Field(min_length=3)
    subject: str
    text: str


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
