"""Email through Resend's HTTP API (the ``resend`` SDK, async).

The SDK keeps its API key and HTTP client in module globals; :meth:`ResendChannel.send`
sets both just before each call (one event loop, no await in between). ``http_client``
is the SDK's own seam: ``None`` uses its httpx client; tests pass a fake transport.
The outbox idempotency key is sent as Resend's ``Idempotency-Key``.
"""

from __future__ import annotations

from dataclasses import dataclass

import resend
from resend.exceptions import ResendError

from ...config import Settings
from ...errors import DeliveryError
from ..messages import EmailMessage


@dataclass(frozen=True, kw_only=True)
class ResendChannel:
    api_key: str
    sender: str
    http_client: resend.AsyncHTTPClient | None = None
    name: str = "resend"

    @classmethod
    def from_settings(
        cls, settings: Settings, *, http_client: resend.AsyncHTTPClient | None = None
    ) -> ResendChannel:
        if settings.resend_api_key is None:
            raise ValueError("RESEND_API_KEY is not set")
        return cls(
            api_key=settings.resend_api_key.get_secret_value(),
            sender=settings.mail_from,
            http_client=http_client,
        )

    def params(self, message: EmailMessage) -> resend.Emails.SendParams:
        params: resend.Emails.SendParams = {
            "from": self.sender,
            "to": [message.to],
            "subject": message.subject,
            "text": message.text,
        }
        if message.attachments:
            params["attachments"] = [
                {
                    "filename": part.filename,
                    "content": list(part.content.encode()),
                    "content_type": part.content_type,
                }
                for part in message.attachments
            ]
        return params

    async def send(self, message: EmailMessage, *, idempotency_key: str) -> None:
        resend.api_key = self.api_key
        if self.http_client is not None:
            resend.default_async_http_client = self.http_client
        try:
            await resend.Emails.send_async(
                self.params(message), {"idempotency_key": idempotency_key}
            )
        except ResendError as e:
            code = int(e.code) if str(e.code).isdigit() else 0
            raise DeliveryError(
                f"Resend refused the {message.purpose} email: {e.message}",
                retryable=code in {0, 429} or code >= 500,
            ) from e
        except OSError as e:
            raise DeliveryError(f"Resend unreachable: {e}", retryable=True) from e
