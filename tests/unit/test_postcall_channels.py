"""Channels as built from settings: Resend (its HTTP call answered by a fake transport,
since Resend's API cannot be reached here), the SMTP message, the signed webhook request,
and the notification templates."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import resend

from agent.config import load_settings
from agent.errors import DeliveryError, TenantError
from agent.postcall.channels import (
    ResendChannel,
    SmtpChannel,
    StaticWebhooks,
    WebhookAuth,
    WebhookChannel,
    build_channels,
)
from agent.postcall.messages import EmailMessage, WebhookMessage
from agent.postcall.signing import SIGNATURE_HEADER, verify_signature
from agent.postcall.templates import render_email

pytestmark = pytest.mark.unit

MESSAGE = EmailMessage(purpose="owner_summary", to="owner@crumb.example", subject="Hi", text="Body")


class FakeResendTransport(resend.AsyncHTTPClient):
    """Stands in for Resend's HTTP API: records each request, answers as scripted."""

    def __init__(self, status: int = 200, body: Mapping[str, Any] | None = None) -> None:
        self.status = status
        self.body = body or {"id": "email-123"}
        self.requests: list[dict[str, Any]] = []

    async def request(  # noqa: PLR0917 - the SDK's signature
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        json: dict[str, object] | list[object] | None = None,
        files: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        self.requests.append({"method": method, "url": url, "headers": dict(headers), "json": json})
        return _json_bytes(self.body), self.status, {"content-type": "application/json"}


def _json_bytes(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value).encode()


@pytest.fixture(autouse=True)
def _restore_resend_globals() -> Any:
    saved = (resend.api_key, resend.default_async_http_client)
    yield
    resend.api_key, resend.default_async_http_client = saved


def test_channels_follow_the_settings() -> None:
    smtp = build_channels(load_settings(check_keys=False, smtp_host="mail.local", smtp_port=2525))
    assert isinstance(smtp.email, SmtpChannel) and smtp.email.port == 2525
    via_resend = build_channels(load_settings(check_keys=False, resend_api_key="re_test_key"))
    assert isinstance(via_resend.email, ResendChannel) and via_resend.email.api_key == "re_test_key"
    assert build_channels(load_settings(check_keys=False)).email is None


async def test_no_email_transport_fails_for_good() -> None:
    channels = build_channels(load_settings(check_keys=False))
    with pytest.raises(DeliveryError, match="FRONTDESK_SMTP_HOST") as caught:
        await channels.deliver(MESSAGE, idempotency_key="k", tenant="t1")
    assert not caught.value.retryable


async def test_resend_sends_the_email_with_the_idempotency_key() -> None:
    transport = FakeResendTransport()
    settings = load_settings(
        check_keys=False, resend_api_key="re_test_key", mail_from="Desk <d@crumb.example>"
    )
    channel = ResendChannel.from_settings(settings, http_client=transport)
    await channel.send(MESSAGE, idempotency_key="call-1:owner_summary:abc")
    [sent] = transport.requests
    assert sent["method"] == "post" and sent["url"].endswith("/emails")
    assert sent["headers"]["Authorization"] == "Bearer re_test_key"
    assert sent["headers"]["Idempotency-Key"] == "call-1:owner_summary:abc"
    assert sent["json"] == {
        "from": "Desk <d@crumb.example>",
        "to": ["owner@crumb.example"],
        "subject": "Hi",
        "text": "Body",
    }


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (422, "validation_error", False),
        (500, "application_error", True),
        (429, "rate_limit_exceeded", True),
    ],
)
async def test_resend_errors_say_whether_to_retry(status: int, kind: str, retryable: bool) -> None:
    transport = FakeResendTransport(status, {"statusCode": status, "name": kind, "message": "nope"})
    channel = ResendChannel(api_key="re_k", sender="d@crumb.example", http_client=transport)
    with pytest.raises(DeliveryError, match="Resend refused") as caught:
        await channel.send(MESSAGE, idempotency_key="k")
    assert caught.value.retryable is retryable


def test_smtp_message_id_carries_the_idempotency_key() -> None:
    channel = SmtpChannel(host="127.0.0.1", sender="Desk <desk@crumb.example>")
    mime = channel.build(MESSAGE, idempotency_key="call-1:owner_summary:abc")
    assert mime["Message-ID"] == "<call-1.owner_summary.abc@crumb.example>"
    assert (mime["To"], mime["Subject"]) == ("owner@crumb.example", "Hi")


HOOK = "http://127.0.0.1:9/x"
SIGNED = StaticWebhooks({("t1", HOOK): WebhookAuth(secret_env="T_HOOK_SECRET")})


def test_webhook_request_is_signed_from_the_tenants_secret_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("T_HOOK_SECRET", "whsec")
    message = WebhookMessage(url=HOOK, event="call.analyzed", body={"a": 1})
    channel = WebhookChannel(directory=SIGNED)
    auth = SIGNED.auth("t1", HOOK)
    body, headers = channel.request(message, idempotency_key="k1", auth=auth)
    assert json.loads(body) == {"a": 1}
    assert headers["Frontdesk-Idempotency-Key"] == "k1"
    assert verify_signature("whsec", headers[SIGNATURE_HEADER], body)
    monkeypatch.delenv("T_HOOK_SECRET")
    with pytest.raises(DeliveryError, match="T_HOOK_SECRET") as caught:
        channel.request(message, idempotency_key="k1", auth=auth)
    assert not caught.value.retryable


async def test_a_webhook_its_tenant_does_not_list_is_not_sent() -> None:
    channel = WebhookChannel(directory=SIGNED)
    message = WebhookMessage(url="http://127.0.0.1:9/evil", event="call.analyzed", body={})
    with pytest.raises(DeliveryError, match="not one of tenant 't1'") as caught:
        await channel.send(message, idempotency_key="k", tenant="t1")
    assert not caught.value.retryable
    with pytest.raises(DeliveryError, match="not one of tenant 'gym'"):
        await channel.send(
            message.model_copy(update={"url": HOOK}), idempotency_key="k", tenant="gym"
        )


def test_an_unsigned_webhook_is_refused_unless_allowed() -> None:
    message = WebhookMessage(url=HOOK, event="call.analyzed", body={})
    channel = WebhookChannel(directory=SIGNED)
    with pytest.raises(DeliveryError, match="allow_unsigned") as caught:
        channel.request(message, idempotency_key="k", auth=WebhookAuth())
    assert not caught.value.retryable
    _, headers = channel.request(
        message, idempotency_key="k", auth=WebhookAuth(allow_unsigned=True)
    )
    assert SIGNATURE_HEADER not in headers


CONTEXT: dict[str, object] = {
    "tenant": {"id": "t", "name": "Crumb"},
    "call": {
        "id": "c1",
        "source": "sip",
        "caller": "+447700900123",
        "started_at": "2026-11-20T10:00:00+00:00",
        "started": "Fri 20 Nov 2026 10:00 GMT",
        "duration": "2m 00s",
    },
    "analysis": {
        "call_type": "order",
        "fields": {"items": "cake"},
        "summary": "A cake.",
        "sentiment": 0.5,
        "meeting": None,
    },
    "method": "deterministic",
    "lead": {
        "contact": "a@b.example",
        "score": 45,
        "priority": "medium",
        "reasons": ["asked about pricing (+10)"],
    },
    "transcript_link": "frontdesk calls show c1",
}


def test_default_templates_render(tmp_path: Path) -> None:
    owner = render_email(tmp_path, "owner_summary", CONTEXT, default_subject="x")
    assert owner.subject == "[Crumb] Order call, lead 45 (medium)"
    assert "items: cake" in owner.text and "frontdesk calls show c1" in owner.text
    assert "+ asked about pricing (+10)" in owner.text
    customer = render_email(tmp_path, "customer_confirmation", CONTEXT, default_subject="x")
    assert customer.subject == "Thanks for calling Crumb" and "A cake." in customer.text


def test_a_tenant_template_overrides_the_default_and_errors_name_the_line(tmp_path: Path) -> None:
    tenant = tmp_path / "t"
    (tenant / "templates").mkdir(parents=True)
    (tenant / "templates" / "owner_summary.txt").write_text(
        "Lead {{ lead.score }} for {{ tenant.name }}\n"
    )
    rendered = render_email(tenant, "owner_summary", CONTEXT, default_subject="New call")
    assert (rendered.subject, rendered.text) == ("New call", "Lead 45 for Crumb\n")
    broken = tmp_path / "b"
    (broken / "templates").mkdir(parents=True)
    (broken / "templates" / "customer_confirmation.txt").write_text("Hi\n{% if %}\n")
    with pytest.raises(TenantError, match=r"customer_confirmation.txt:2"):
        render_email(broken, "customer_confirmation", CONTEXT, default_subject="x")
