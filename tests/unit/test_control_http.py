"""The dispatcher's HTTP API: request validation and signed LiveKit webhooks."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from livekit import api

from agent.config import Settings
from agent.control.http import build_app

pytestmark = pytest.mark.unit


@pytest.fixture
async def client() -> AsyncIterator[TestClient[object, object]]:
    settings = Settings.model_validate({"LIVEKIT_URL": "ws://127.0.0.1:9"})
    async with TestClient(TestServer(build_app(settings))) as c:
        yield c


def signed(body: str, secret: str = "frontdesk-dev-secret-0123456789abcdef") -> str:
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return api.AccessToken("devkey", secret).with_sha256(digest).to_jwt()


async def test_call_request_names_the_bad_field(client: TestClient[object, object]) -> None:
    resp = await client.post("/v1/calls", data=json.dumps({"tenant": "", "rooom": "x"}))
    assert resp.status == 422
    body = await resp.json()
    fields = {f["field"] for f in body["fields"]}
    assert fields == {"tenant", "rooom"}


async def test_call_request_for_unknown_tenant_is_refused(
    client: TestClient[object, object],
) -> None:
    resp = await client.post("/v1/calls", data=json.dumps({"tenant": "no-such-bakery"}))
    assert resp.status == 404
    body = await resp.json()
    assert body["field"] == "tenant"
    assert "no-such-bakery" in body["error"]


async def test_call_request_that_is_not_json(client: TestClient[object, object]) -> None:
    resp = await client.post("/v1/calls", data="tenant=crumb")
    assert resp.status == 422


async def test_webhook_with_valid_signature_is_accepted(
    client: TestClient[object, object],
) -> None:
    body = json.dumps({"event": "room_started", "room": {"name": "call-1"}})
    resp = await client.post("/livekit/webhook", data=body, headers={"Authorization": signed(body)})
    assert resp.status == 200


async def test_webhook_with_bad_signature_is_rejected(
    client: TestClient[object, object],
) -> None:
    body = json.dumps({"event": "room_started", "room": {"name": "call-1"}})
    forged = signed(body, secret="not-the-secret-0123456789abcdef-xx")
    resp = await client.post("/livekit/webhook", data=body, headers={"Authorization": forged})
    assert resp.status == 401
    tampered = await client.post(
        "/livekit/webhook",
        data=body.replace("call-1", "call-2"),
        headers={"Authorization": signed(body)},
    )
    assert tampered.status == 401


async def test_call_request_with_an_unknown_source_names_it(
    client: TestClient[object, object],
) -> None:
    resp = await client.post(
        "/v1/calls", data=json.dumps({"tenant": "crumb-and-co", "source": "fax"})
    )
    assert resp.status == 422
    body = await resp.json()
    assert [f["field"] for f in body["fields"]] == ["source"]
    assert "sip" in body["fields"][0]["error"]
