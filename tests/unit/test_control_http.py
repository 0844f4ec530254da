"""The dispatcher's HTTP API: request validation, signed LiveKit webhooks, JSON errors."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from livekit import api

from agent.config import Settings
from agent.control.app import create_app
from agent.store.engine import sqlite_url
from tests.staff import add_staff_key, bearer

pytestmark = pytest.mark.unit


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """A client signed in as staff of crumb-and-co."""
    settings = Settings.model_validate({"LIVEKIT_URL": "ws://127.0.0.1:9", "data_dir": tmp_path})
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        key = asyncio.run(add_staff_key(sqlite_url(tmp_path), "crumb-and-co"))
        c.headers.update(bearer(key))
        yield c


def signed(body: str, secret: str = "frontdesk-dev-secret-0123456789abcdef") -> str:
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return api.AccessToken("devkey", secret).with_sha256(digest).to_jwt()


def test_call_request_names_the_bad_field(client: TestClient) -> None:
    resp = client.post("/v1/calls", content=json.dumps({"tenant": "", "rooom": "x"}))
    assert resp.status_code == 422
    body = resp.json()
    fields = {f["field"] for f in body["fields"]}
    assert fields == {"tenant", "rooom"}
    assert body["error"].startswith("invalid request: tenant:")


def signed_in_as(client: TestClient, tmp_path: Path, tenant: str) -> None:
    """The client's login, now of ``tenant`` (a tenant removed since the login was made)."""
    key = asyncio.run(add_staff_key(sqlite_url(tmp_path), tenant))
    client.headers.update(bearer(key))


def test_call_request_for_unknown_tenant_is_refused(client: TestClient, tmp_path: Path) -> None:
    signed_in_as(client, tmp_path, "no-such-bakery")
    resp = client.post("/v1/calls", content=json.dumps({"tenant": "no-such-bakery"}))
    assert resp.status_code == 404
    body = resp.json()
    assert body["field"] == "tenant"
    assert "no-such-bakery" in body["error"]


def test_call_request_that_is_not_json(client: TestClient) -> None:
    resp = client.post("/v1/calls", content="tenant=crumb")
    assert resp.status_code == 422
    assert resp.json()["fields"][0]["field"] == "(body)"


def test_call_body_is_json_whatever_its_content_type(client: TestClient) -> None:
    """`curl -d '{"tenant": ...}'` labels the body a form, as README's example does."""
    resp = client.post(
        "/v1/calls",
        content=json.dumps({"tenant": "crumb-and-co", "source": "fax"}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 422
    assert [f["field"] for f in resp.json()["fields"]] == ["source"]


def test_webhook_with_valid_signature_is_accepted(client: TestClient) -> None:
    body = json.dumps({"event": "room_started", "room": {"name": "call-1"}})
    resp = client.post("/livekit/webhook", content=body, headers={"Authorization": signed(body)})
    assert resp.status_code == 200


def test_a_replayed_or_stale_webhook_is_refused(client: TestClient) -> None:
    now = int(time.time())
    event = {"id": "EV_1", "event": "room_started", "room": {"name": "call-1"}}
    body = json.dumps({**event, "createdAt": now})
    first = client.post("/livekit/webhook", content=body, headers={"Authorization": signed(body)})
    assert first.status_code == 200
    again = client.post("/livekit/webhook", content=body, headers={"Authorization": signed(body)})
    assert again.status_code == 409
    assert again.json() == {"error": "webhook already received, or too old"}
    stale = json.dumps({**event, "id": "EV_2", "createdAt": now - 3600})
    old = client.post("/livekit/webhook", content=stale, headers={"Authorization": signed(stale)})
    assert old.status_code == 409


def test_webhook_with_bad_signature_is_rejected(client: TestClient) -> None:
    body = json.dumps({"event": "room_started", "room": {"name": "call-1"}})
    forged = signed(body, secret="not-the-secret-0123456789abcdef-xx")
    resp = client.post("/livekit/webhook", content=body, headers={"Authorization": forged})
    assert resp.status_code == 401
    assert resp.json() == {"error": "webhook signature is invalid"}
    tampered = client.post(
        "/livekit/webhook",
        content=body.replace("call-1", "call-2"),
        headers={"Authorization": signed(body)},
    )
    assert tampered.status_code == 401


def test_call_request_with_an_unknown_source_names_it(client: TestClient) -> None:
    resp = client.post("/v1/calls", content=json.dumps({"tenant": "crumb-and-co", "source": "fax"}))
    assert resp.status_code == 422
    body = resp.json()
    assert [f["field"] for f in body["fields"]] == ["source"]
    assert "sip" in body["fields"][0]["error"]


def test_livekit_down_is_a_json_error_without_a_traceback(client: TestClient) -> None:
    """LiveKit at an address nothing listens on: the dispatcher's fault, said plainly."""
    resp = client.post("/v1/calls", content=json.dumps({"tenant": "crumb-and-co"}))
    assert resp.status_code >= 500
    assert set(resp.json()) == {"error"}
    assert "Traceback" not in resp.text and "File " not in resp.text


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    missing = client.get("/v1/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Not Found"}
    wrong = client.delete("/v1/calls")
    assert wrong.status_code == 405
    assert "error" in wrong.json()


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"ok": True}


def test_every_route_is_in_the_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    operations = {
        (method.upper(), path): op
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }
    assert set(operations) >= {
        ("POST", "/v1/calls"),
        ("POST", "/livekit/webhook"),
        ("GET", "/healthz"),
        ("POST", "/v1/web/sessions"),
        ("GET", "/w/{tenant}/{campaign}"),
        ("GET", "/w/{tenant}/{campaign}/qr.{kind}"),
    }
    for key, op in operations.items():
        assert op.get("summary"), key
    calls = operations[("POST", "/v1/calls")]
    schema = calls["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"tenant", "room", "source", "phone_number", "at"}
    assert "422" in calls["responses"] and "404" in calls["responses"]


def test_docs_page_loads_swagger_from_this_server(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/web/lib/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


def test_unknown_tenant_is_named_without_the_house(client: TestClient, tmp_path: Path) -> None:
    """The 404 names the key asked for: not the other tenants, not the server's paths."""
    signed_in_as(client, tmp_path, "no-such-bakery")
    resp = client.post("/v1/calls", content=json.dumps({"tenant": "no-such-bakery"}))
    assert resp.status_code == 404
    error = resp.json()["error"]
    assert error == "unknown tenant 'no-such-bakery'"
    assert "crumb-and-co" not in resp.text and "lumen-salon" not in resp.text
    assert "/" not in error


def test_a_tenant_that_does_not_load_is_a_503_naming_only_the_key(tmp_path: Path) -> None:
    tenants = tmp_path / "tenants"
    (tenants / "broken").mkdir(parents=True)
    (tenants / "broken" / "tenant.yaml").write_text("name: Broken\nflow: [\n")
    settings = Settings.model_validate(
        {"LIVEKIT_URL": "ws://127.0.0.1:9", "data_dir": tmp_path, "tenants_dir": tenants}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        signed_in_as(c, tmp_path, "broken")
        resp = c.post("/v1/calls", content=json.dumps({"tenant": "broken"}))
    assert resp.status_code == 503
    assert resp.json() == {
        "error": "tenant 'broken' is not taking calls right now",
        "field": "tenant",
    }
    assert str(tmp_path) not in resp.text


def test_livekit_down_is_a_503_saying_so(client: TestClient) -> None:
    resp = client.post("/v1/calls", content=json.dumps({"tenant": "crumb-and-co"}))
    assert resp.status_code == 503
    assert "call service is unavailable" in resp.json()["error"]


def test_a_phone_number_that_is_not_e164_is_named(client: TestClient) -> None:
    body = {"tenant": "crumb-and-co", "phone_number": "020 7946 0123"}
    resp = client.post("/v1/calls", content=json.dumps(body))
    assert resp.status_code == 422
    assert [f["field"] for f in resp.json()["fields"]] == ["phone_number"]
