"""Webhooks: the message body as JSON, POSTed with an HMAC-SHA256 signature header.

See :mod:`..signing` for the header format. The secret is the one the row's tenant
configures for that URL (:mod:`.directory`), never one the row names; a webhook without
a secret is refused unless its tenant sets ``allow_unsigned: true``. A 2xx reply is
delivered; 408, 429 and 5xx (and network errors) are retried; any other status fails
for good.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass

import aiohttp

from ...errors import DeliveryError
from ..messages import WebhookMessage
from ..signing import EVENT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign
from .directory import WebhookAuth, WebhookDirectory

_RETRYABLE_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True, kw_only=True)
class WebhookChannel:
    directory: WebhookDirectory
    timeout_s: float = 10.0
    name: str = "webhook"

    def request(
        self, message: WebhookMessage, *, idempotency_key: str, auth: WebhookAuth
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the POST, signed with the secret ``auth`` names."""
        body = json.dumps(message.body, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: idempotency_key,
            EVENT_HEADER: message.event,
        }
        if auth.secret_env:
            secret = os.environ.get(auth.secret_env)
            if not secret:
                raise DeliveryError(
                    f"webhook {message.url}: environment variable {auth.secret_env} "
                    "(its secret_env) is not set",
                    retryable=False,
                )
            headers[SIGNATURE_HEADER] = sign(secret, body)
        elif not auth.allow_unsigned:
            raise DeliveryError(
                f"webhook {message.url} has no secret_env: refused to send it unsigned "
                "(give it a secret_env, or set allow_unsigned: true in tenant.yaml)",
                retryable=False,
            )
        return body, headers

    async def send(self, message: WebhookMessage, *, idempotency_key: str, tenant: str) -> None:
        auth = await asyncio.to_thread(self.directory.auth, tenant, message.url)
        body, headers = self.request(message, idempotency_key=idempotency_key, auth=auth)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.post(message.url, data=body, headers=headers) as response,
            ):
                status = response.status
                reason = response.reason or ""
        except TimeoutError as e:  # aiohttp's ServerTimeoutError is one too
            raise DeliveryError(
                f"webhook {message.url} did not answer within {self.timeout_s:g} s "
                "(FRONTDESK_WEBHOOK_TIMEOUT); it may have received it, so it is sent again "
                "later with the same Frontdesk-Idempotency-Key",
                retryable=True,
                timed_out=True,
            ) from e
        except aiohttp.ClientError as e:
            raise DeliveryError(f"webhook {message.url} unreachable: {e!r}", retryable=True) from e
        if 200 <= status < 300:
            return
        raise DeliveryError(
            f"webhook {message.url} answered {status} {reason}".rstrip(),
            retryable=status >= 500 or status in _RETRYABLE_STATUS,
        )
