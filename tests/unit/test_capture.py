"""Capture pieces without servers: generic event records, op round trips, recording
storage (local, and Supabase's HTTP API faked at the transport), retention."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from agent.capture.ops import decode, encode, event_payload
from agent.capture.retention import run_retention
from agent.capture.storage import LocalStorage, SupabaseStorage, build_storage
from agent.config import load_settings
from agent.flow.events import TransitionTaken
from agent.store import Store
from agent.store.calls import NewCall
from agent.store.recordings import add_recording, for_call
from tests.stores import sqlite_store

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class SomeFutureEvent:
    """An event type the recorder has never heard of."""

    node: str
    details: dict[str, object]
    at: datetime


def test_any_flow_event_becomes_a_generic_record() -> None:
    event = TransitionTaken(from_node="a", to_node="b", reason="matched", at=T0)
    type_name, at, payload = event_payload(event)
    assert (type_name, at) == ("TransitionTaken", T0)
    assert {k: payload[k] for k in ("from_node", "to_node", "reason")} == {
        "from_node": "a",
        "to_node": "b",
        "reason": "matched",
    }
    assert "at" not in payload
    future = SomeFutureEvent(node="n", details={"when": T0, "tags": ("x",)}, at=T0)
    assert event_payload(future)[2] == {
        "node": "n",
        "details": {"when": T0.isoformat(), "tags": ["x"]},
    }


@dataclass(frozen=True)
class Timeless:
    node: str


def test_event_without_a_time_is_refused() -> None:
    with pytest.raises(TypeError, match="Timeless has no datetime 'at'"):
        event_payload(Timeless("n"))
    with pytest.raises(TypeError, match="dataclass instances, not object"):
        event_payload(object())


def test_ops_round_trip_through_json_lines() -> None:
    line = encode("turn", {"call_id": "c", "tenant": "t", "seq": 3, "started_at": T0})
    assert "\n" not in line
    assert decode(line) == {
        "op": "turn",
        "call_id": "c",
        "tenant": "t",
        "seq": 3,
        "started_at": T0.isoformat(),
    }
    with pytest.raises(ValueError, match="not a recorder op"):
        decode(json.dumps([1]))


class FakeSupabaseStorageAPI:
    """Supabase Storage's HTTP API (which cannot be reached from here), as a transport."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/storage/v1/object/")
        if request.method == "POST" and path.startswith("recordings/"):
            self.objects[path] = request.read()
            return httpx.Response(200, json={"Key": path, "Id": "1"})
        if request.method == "DELETE" and path == "recordings":
            for key in json.loads(request.read())["prefixes"]:
                self.objects.pop(f"recordings/{key}", None)
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"error": "not found"})


def test_storage_is_local_unless_supabase_is_configured(tmp_path: Path) -> None:
    settings = load_settings(check_keys=False, data_dir=tmp_path)
    local = build_storage(settings)
    assert isinstance(local, LocalStorage) and local.root == tmp_path / "recordings"
    configured = settings.model_copy(
        update={
            "supabase_url": "https://abc.supabase.co",
            "supabase_key": SecretStr("sb_secret_test"),
            "recordings_bucket": "calls-audio",
        }
    )
    remote = build_storage(configured)
    assert isinstance(remote, SupabaseStorage)
    assert remote.bucket == "calls-audio" and remote.url == "https://abc.supabase.co"


async def test_supabase_storage_uploads_and_removes_through_its_http_api(tmp_path: Path) -> None:
    api = FakeSupabaseStorageAPI()
    client = httpx.Client(transport=httpx.MockTransport(api))
    storage = SupabaseStorage(
        "https://abc.supabase.co", "sb_secret_test", "recordings", http_client=client
    )
    audio = tmp_path / "call.wav"
    audio.write_bytes(b"RIFF....WAVE")
    uri = await storage.put("t1/c1.wav", audio)
    assert uri == "supabase://recordings/t1/c1.wav"
    assert list(api.objects) == ["recordings/t1/c1.wav"]
    assert b"RIFF....WAVE" in api.objects["recordings/t1/c1.wav"]  # multipart upload
    assert api.requests[0].headers["authorization"] == "Bearer sb_secret_test"
    assert not audio.exists()
    await storage.delete(uri)
    assert api.objects == {}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    call = NewCall(id="c1", tenant="t1", source="web", room="r", started_at=T0)
    async with sqlite_store(tmp_path / "x.db", call) as store:
        yield store


async def test_retention_deletes_expired_recordings_and_their_rows(
    store: Store, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path / "recordings")
    kept_uris = []
    for name, days in (("old", 30), ("new", 90)):
        source = tmp_path / f"{name}.wav"
        source.write_bytes(b"x")
        uri = await storage.put(f"t1/{name}.wav", source)
        kept_uris.append(uri)
        async with store.transaction() as s:
            await add_recording(
                s,
                call_id="c1",
                tenant="t1",
                storage="local",
                uri=uri,
                format="wav",
                channels=2,
                size=1,
                expires_at=T0 + timedelta(days=days),
            )
    async with store.transaction() as s:  # a recording in a storage not configured here
        await add_recording(
            s,
            call_id="c1",
            tenant="t1",
            storage="supabase",
            uri="supabase://b/t1/x.ogg",
            format="ogg",
            channels=2,
            size=1,
            expires_at=T0,
        )
    now = T0 + timedelta(days=60)
    assert (await run_retention(store, {"local": storage}, now=now)).deleted == 1
    assert (await run_retention(store, {"local": storage}, now=now)).deleted == 0
    async with store.transaction() as s:
        left = await for_call(s, "c1")
    assert [r.uri for r in left] == [kept_uris[1], "supabase://b/t1/x.ogg"]
    exists = [await asyncio.to_thread(Path(uri).exists) for uri in kept_uris]
    assert exists == [False, True]


class ScriptedCapture:
    """Stands in for the audio capture: records when it was asked to begin and end."""

    def __init__(self, path: Path) -> None:
        self.path, self.begun, self.ended = path, 0, False

    async def begin(self) -> bool:
        self.begun += 1
        return True

    async def end(self) -> Path | None:
        self.ended = True
        if not self.begun:
            return None
        await asyncio.to_thread(self.path.write_bytes, b"OggS" + bytes(100))
        return self.path


@pytest.mark.parametrize(
    ("requires_consent", "consent", "recorded"),
    [(False, None, True), (True, None, False), (True, False, False), (True, True, True)],
)
async def test_recording_waits_for_granted_consent_when_required(
    store: Store, tmp_path: Path, requires_consent: bool, consent: bool | None, recorded: bool
) -> None:
    from agent.capture.audio import CallAudio, RecordingPolicy
    from agent.capture.recorder import CallRecorder
    from agent.flow.events import ConsentRecorded
    from agent.store.usage import load_prices

    call = NewCall(id="c2", tenant="t1", source="web", room="r2", started_at=T0)
    recorder = CallRecorder(store, call, data_dir=tmp_path, prices=load_prices())
    recorder.start()
    capture = ScriptedCapture(tmp_path / "c2.ogg")
    policy = RecordingPolicy(True, requires_consent, retention_days=7)
    audio = CallAudio(capture, policy, LocalStorage(tmp_path / "kept"), recorder)
    if consent is not None:
        recorder.emit(
            ConsentRecorded(node="gate", who="a@b.c", wording="Record?", granted=consent, at=T0)
        )
    await asyncio.sleep(0.05)  # let a started capture task run
    await audio.finish(T0)
    assert await recorder.close(ended_at=T0 + timedelta(minutes=1), status="completed")
    async with store.transaction() as s:
        rows = await for_call(s, "c2")
    assert capture.begun == (1 if recorded else 0)
    assert [(r.format, r.expires_at) for r in rows] == (
        [("ogg", T0 + timedelta(days=7))] if recorded else []
    )


async def test_a_record_the_store_refuses_is_set_aside_and_the_rest_written(
    store: Store, tmp_path: Path
) -> None:
    from agent.capture.recorder import CallRecorder
    from agent.record.turn import TurnRecord
    from agent.store.turns import list_turns
    from agent.store.usage import load_prices

    call = NewCall(id="c3", tenant="t1", source="web", room="r3", started_at=T0)
    recorder = CallRecorder(store, call, data_dir=tmp_path, prices=load_prices())
    recorder.start()
    recorder.add_turn(TurnRecord("caller", "first", T0))
    recorder.add_turn(TurnRecord(None, "no speaker", T0))  # type: ignore[arg-type]
    recorder.add_turn(TurnRecord("agent", "third", T0))
    assert await recorder.close(ended_at=T0, status="completed")
    async with store.transaction() as s:
        texts = [t.text for t in await list_turns(s, "c3")]
    assert texts == ["first", "third"]
    assert recorder.refused == 1
    rejected = (tmp_path / "spool" / "dead-letter" / "c3.jsonl").read_text().splitlines()
    (entry,) = [json.loads(line) for line in rejected]
    assert entry["record"]["text"] == "no speaker" and entry["call_id"] == "c3"
    assert "refused" in entry["error"]


def test_unfinished_recordings_are_swept_after_a_day(tmp_path: Path) -> None:
    import os

    from agent.capture.retention import sweep_orphans

    old, live = tmp_path / "old.ogg", tmp_path / "live.ogg"
    old.write_bytes(b"x")
    live.write_bytes(b"x")
    day_ago = T0.timestamp() - 2 * 86400
    os.utime(old, (day_ago, day_ago))
    os.utime(live, (T0.timestamp(), T0.timestamp()))
    assert sweep_orphans(tmp_path, now=T0) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["live.ogg"]
    assert sweep_orphans(tmp_path / "missing", now=T0) == 0
