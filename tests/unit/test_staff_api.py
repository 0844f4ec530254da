"""Staff logins and the control API: sign-in, tenant isolation, calls, live events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from agent.cli import app as cli
from agent.config import Settings
from agent.control.app import create_app
from agent.record.turn import TurnRecord
from agent.store import calls as call_repo
from agent.store import events as event_repo
from agent.store import turns as turn_repo
from agent.store.engine import Store, sqlite_url
from agent.store.events import NewEvent
from tests.staff import PASSWORD, add_staff_key, bearer

pytestmark = pytest.mark.unit

CRUMB, LUMEN = "crumb-and-co", "lumen-salon"
T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {
            "LIVEKIT_URL": "ws://127.0.0.1:9",
            "data_dir": tmp_path,
            "FRONTDESK_LIVE_EVENTS_POLL": 0.05,
        }
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def key_of(settings: Settings, tenant: str) -> dict[str, str]:
    return bearer(asyncio.run(add_staff_key(sqlite_url(settings.data_dir), tenant)))


def add_call(settings: Settings, tenant: str, *, said: list[tuple[str, str]] = ()) -> str:  # type: ignore[assignment]
    call_id = f"call-{tenant}-{len(said)}-x"

    async def go() -> None:
        store = Store.from_url(sqlite_url(settings.data_dir))
        try:
            async with store.transaction() as s:
                new = call_repo.NewCall(
                    id=call_id, tenant=tenant, source="web", room=f"room-{call_id}", started_at=T0
                )
                await call_repo.start_call(s, new)
                for seq, (speaker, text) in enumerate(said):
                    at = T0 + timedelta(seconds=seq)
                    turn = TurnRecord(seq=seq, speaker=speaker, text=text, started_at=at)
                    await turn_repo.add_turn(s, call_id, tenant, turn)
                payload = {
                    "node": "handoff",
                    "reason": "the caller asked for a person",
                    "summary": "x",
                    "slots": {"party_size": "4"},
                }
                at = T0 + timedelta(seconds=len(said))
                event = NewEvent(seq=0, type="HandoffRequested", at=at, payload=payload)
                await event_repo.add_event(s, call_id, tenant, event)
        finally:
            await store.close()

    asyncio.run(go())
    return call_id


def test_staff_routes_need_a_login(client: TestClient) -> None:
    for method, path in [
        ("POST", "/v1/calls"),
        ("GET", "/v1/calls"),
        ("GET", "/v1/calls/x"),
        ("POST", "/v1/calls/x/take"),
        ("POST", "/v1/calls/x/hangup"),
        ("POST", "/v1/meetings"),
        ("GET", "/v1/meetings/0123456789abcdef"),
    ]:
        resp = client.request(method, path, json={"tenant": CRUMB})
        assert resp.status_code == 401, (method, path)
        assert "sign in" in resp.json()["error"]
        forged = client.request(method, path, headers=bearer("fdk_forged"), json={})
        assert forged.status_code == 401, (method, path)


def test_visitor_routes_stay_public(client: TestClient) -> None:
    # no login: not a 401 (LiveKit is down here, so the widget's session is a 503)
    resp = client.post("/v1/web/sessions", json={"tenant": CRUMB, "campaign": "website"})
    assert resp.status_code != 401
    assert client.post("/v1/meetings/join", json={"token": "x"}).status_code != 401


def test_login_logout_and_wrong_password(client: TestClient, settings: Settings) -> None:
    key_of(settings, CRUMB)
    body = {"tenant": CRUMB, "email": "Staff@crumb-and-co.example", "password": "wrong one!"}
    assert client.post("/v1/auth/login", json=body).status_code == 401
    other = {**body, "tenant": LUMEN, "password": PASSWORD}
    assert client.post("/v1/auth/login", json=other).status_code == 401
    ok = client.post("/v1/auth/login", json={**body, "password": PASSWORD})
    assert ok.status_code == 200
    token = ok.json()["token"]
    me = client.get("/v1/auth/me", headers=bearer(token))
    assert me.json() == {"tenant": CRUMB, "email": "staff@crumb-and-co.example"}
    assert client.post("/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 401


def test_staff_never_see_another_tenants_calls(client: TestClient, settings: Settings) -> None:
    crumb, lumen = key_of(settings, CRUMB), key_of(settings, LUMEN)
    theirs = add_call(settings, LUMEN)
    listed = client.get("/v1/calls", headers=crumb).json()["calls"]
    assert theirs not in [c["id"] for c in listed]
    for method, path in [
        ("GET", f"/v1/calls/{theirs}"),
        ("POST", f"/v1/calls/{theirs}/take"),
        ("POST", f"/v1/calls/{theirs}/hangup"),
    ]:
        resp = client.request(method, path, headers=crumb)
        assert resp.status_code == 403, (method, path)
        assert "no access" in resp.json()["error"]
    made = client.post("/v1/calls", headers=crumb, json={"tenant": LUMEN})
    assert made.status_code == 403
    assert [c["id"] for c in client.get("/v1/calls", headers=lumen).json()["calls"]] == [theirs]
    assert client.get("/v1/calls/nope", headers=crumb).status_code == 404


def test_a_call_with_its_transcript_and_handoff(client: TestClient, settings: Settings) -> None:
    crumb = key_of(settings, CRUMB)
    said = [
        ("agent", "Hello, Crumb and Co."),
        ("caller", "a table for four"),
        ("caller", "a person please"),
    ]
    call_id = add_call(settings, CRUMB, said=said)
    shown = client.get(f"/v1/calls/{call_id}", headers=crumb).json()
    assert [(t["speaker"], t["text"]) for t in shown["turns"]] == said
    handoff = shown["handoff"]
    assert handoff["slots"] == {"party_size": "4"}
    assert handoff["status"] == "requested"
    assert handoff["summary"] == (
        'Wants a person: the caller asked for a person. First said: "a table for four". '
        'Gave: party size 4. Last said: "a person please".'
    )
    active = client.get("/v1/calls?active=true", headers=crumb).json()["calls"]
    assert [c["id"] for c in active] == [call_id]


def test_taking_a_call_mints_a_token_for_its_room_only(
    client: TestClient, settings: Settings
) -> None:
    crumb = key_of(settings, CRUMB)
    call_id = add_call(settings, CRUMB)
    taken = client.post(f"/v1/calls/{call_id}/take", headers=crumb)
    assert taken.status_code == 200
    body = taken.json()
    claims: dict[str, Any] = jwt.decode(
        body["token"], settings.livekit_api_secret.get_secret_value(), algorithms=["HS256"]
    )
    assert claims["sub"] == body["identity"] and body["identity"].startswith("staff-")
    assert claims["video"]["room"] == f"room-{call_id}"
    assert claims["video"]["roomJoin"] is True
    assert claims["video"]["canPublishSources"] == ["microphone"]
    assert not claims["video"].get("roomAdmin")
    shown = client.get(f"/v1/calls/{call_id}", headers=crumb).json()
    assert shown["handoff"]["status"] == "taken"


def test_bad_input_is_a_json_4xx(client: TestClient, settings: Settings) -> None:
    crumb = key_of(settings, CRUMB)
    assert client.get("/v1/calls?limit=0", headers=crumb).status_code == 422
    assert client.get("/v1/calls?limit=abc", headers=crumb).json()["fields"][0]["field"] == "limit"
    bad = client.post("/v1/auth/login", content="not json")
    assert bad.status_code == 422 and "error" in bad.json()


def test_live_events_per_tenant(client: TestClient, settings: Settings) -> None:
    crumb, lumen = key_of(settings, CRUMB), key_of(settings, LUMEN)
    with (
        client.websocket_connect("/v1/events") as ws,
        client.websocket_connect("/v1/events", headers=lumen) as other,
    ):
        ws.send_json({"token": crumb["Authorization"].split()[1]})
        assert ws.receive_json() == {"type": "ready", "tenant": CRUMB}
        assert other.receive_json()["tenant"] == LUMEN
        call_id = add_call(settings, CRUMB, said=[("caller", "a person please")])
        got = [ws.receive_json() for _ in range(3)]
        assert [m["type"] for m in got] == ["call_started", "turn", "handoff_requested"]
        assert got[1]["text"] == "a person please" and got[1]["call_id"] == call_id
        assert got[2]["slots"] == {"party_size": "4"}
        lumen_call = add_call(settings, LUMEN)
        assert other.receive_json()["call_id"] == lumen_call
        # crumb's socket saw none of lumen's call: its next message is about its own
        add_call(settings, CRUMB, said=[("caller", "a"), ("caller", "b")])
        assert ws.receive_json()["call_id"] != lumen_call


def test_live_events_refuse_a_bad_token(client: TestClient) -> None:
    with client.websocket_connect("/v1/events") as ws:
        ws.send_json({"token": "fds_nope"})
        assert ws.receive_json()["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401


def test_staff_add_command(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    short = runner.invoke(
        cli,
        ["staff", "add", "--tenant", CRUMB, "--email", "a@b.example", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code == 1 and "at least" in short.output
    unknown = runner.invoke(
        cli,
        ["staff", "add", "--tenant", "nope", "--email", "a@b.example", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert unknown.exit_code == 1
    made = runner.invoke(cli, ["staff", "add", "--tenant", CRUMB, "--email", "a@b.example"])
    assert made.exit_code == 0, made.output
    password = made.output.split("password (shown once): ")[1].strip()
    body = {"tenant": CRUMB, "email": "a@b.example", "password": password}
    assert client.post("/v1/auth/login", json=body).status_code == 200
    key = runner.invoke(cli, ["staff", "key", "--tenant", CRUMB, "--email", "a@b.example"])
    assert client.get("/v1/auth/me", headers=bearer(key.output.strip())).status_code == 200


def test_the_console_page_loads_its_code_from_this_server(client: TestClient) -> None:
    page = client.get("/console")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/web/static/console.js">' in page.text
    script = client.get("/web/static/console.js").text
    assert 'from "/web/static/call.js"' in script and "http" not in script.split("import")[1][:80]
    assert client.get("/web/lib/livekit-client.esm.mjs").status_code == 200


def _add_sip_call(settings: Settings, tenant: str, *, ended: bool = False) -> str:
    call_id = f"call-{tenant}-phone{'-ended' if ended else ''}"

    async def go() -> None:
        store = Store.from_url(sqlite_url(settings.data_dir))
        try:
            async with store.transaction() as s:
                new = call_repo.NewCall(
                    id=call_id,
                    tenant=tenant,
                    source="sip",
                    room=f"room-{call_id}",
                    started_at=T0,
                    caller_number="+442071234567",
                )
                await call_repo.start_call(s, new)
                if ended:
                    await call_repo.finalize_call(s, call_id, ended_at=T0, status="completed")
        finally:
            await store.close()

    asyncio.run(go())
    return call_id


def test_transfer_refusals(client: TestClient, settings: Settings) -> None:
    """What cannot be transferred is refused before LiveKit is asked (it is not running
    here: a refusal that reached it would be a 503)."""
    crumb = key_of(settings, CRUMB)
    web_call = add_call(settings, CRUMB)
    phone_call = _add_sip_call(settings, CRUMB)
    ended = _add_sip_call(settings, CRUMB, ended=True)
    theirs = _add_sip_call(settings, LUMEN)
    to = {"to": "+442071234568"}

    def transfer(call_id: str, body: object, headers: dict[str, str] = crumb) -> Any:
        return client.post(f"/v1/calls/{call_id}/transfer", headers=headers, json=body)

    assert transfer(phone_call, to, headers={}).status_code == 401
    refused = transfer(web_call, to)
    assert refused.status_code == 409
    assert "web call" in refused.json()["error"] and "only phone" in refused.json()["error"]
    gone = transfer(ended, to)
    assert gone.status_code == 409 and "has ended" in gone.json()["error"]
    other = transfer(theirs, to)
    assert other.status_code == 403 and "no access" in other.json()["error"]
    assert transfer("nope", to).status_code == 404
    for bad in (
        {"to": "442071234568"},  # no +
        {"to": "+999"},  # too short
        {"to": "+0442071234568"},
        {"to": "http://pbx.example/x"},
        {"to": "sip:no-host"},
        {"to": "+442071234568", "extra": 1},
        {},
        "not an object",
    ):
        answer = transfer(phone_call, bad)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["error"].startswith("invalid request")
    # a valid one gets as far as LiveKit, which is not running here
    for good in (to, {"to": "sip:reception@pbx.example"}):
        assert transfer(phone_call, good).status_code == 503
