"""Metrics: a call's turns and fallbacks move the counters; the dispatcher's /metrics
reports the outbox as the store holds it and /readyz says which dependency is down."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from livekit.agents import stt, tts
from prometheus_client import REGISTRY

from agent.config import Settings
from agent.control.app import create_app
from agent.metrics import CallMetrics
from agent.providers.espeak_tts import ESpeakTTS
from agent.providers.fallback import FallbackOptions, fallback_stt
from agent.providers.pocketsphinx_stt import PocketSphinxSTT
from agent.providers.registry import load_vad
from agent.store import Store
from agent.store.engine import normalize_url
from agent.store.migrate import upgrade
from agent.store.outbox import NewNotification, enqueue

pytestmark = pytest.mark.unit


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_call_is_active_until_it_ends_and_counted_once() -> None:
    before = sample("frontdesk_calls_total", tenant="m-bakery", source="sip")
    call = CallMetrics("m-bakery", "sip")
    call.started()
    assert sample("frontdesk_calls_active", tenant="m-bakery", source="sip") == 1
    call.ended()
    call.ended()  # a second shutdown callback changes nothing
    assert sample("frontdesk_calls_active", tenant="m-bakery", source="sip") == 0
    assert sample("frontdesk_calls_total", tenant="m-bakery", source="sip") == before + 1


def test_a_turn_observes_each_latency_part_and_its_confidence() -> None:
    e2e = sample("frontdesk_turn_latency_seconds_count", part="e2e_latency")
    eot = sample("frontdesk_turn_latency_seconds_sum", part="end_of_turn_delay")
    conf = sample("frontdesk_stt_confidence_count")
    CallMetrics.turn({"e2e_latency": 0.8, "end_of_turn_delay": 0.45}, 0.9)
    CallMetrics.turn({"e2e_latency": 0.6}, None)
    assert sample("frontdesk_turn_latency_seconds_count", part="e2e_latency") == e2e + 2
    sum_now = sample("frontdesk_turn_latency_seconds_sum", part="end_of_turn_delay")
    assert sum_now == pytest.approx(eot + 0.45)
    assert sample("frontdesk_stt_confidence_count") == conf + 1


def test_fallback_chains_count_each_switch_and_each_recovery() -> None:
    local = PocketSphinxSTT()
    chain = stt.FallbackAdapter([local, PocketSphinxSTT()], vad=load_vad())
    voices = tts.FallbackAdapter([ESpeakTTS(), ESpeakTTS()])
    CallMetrics.watch_fallbacks(chain, voices, None)
    labels = {"kind": "stt", "provider": local.label}
    down = sample("frontdesk_provider_availability_changes_total", **labels, available="false")
    chain.emit("stt_availability_changed", stt.AvailabilityChangedEvent(stt=local, available=False))
    chain.emit("stt_availability_changed", stt.AvailabilityChangedEvent(stt=local, available=True))
    after = sample("frontdesk_provider_availability_changes_total", **labels, available="false")
    assert after == down + 1
    assert sample("frontdesk_provider_availability_changes_total", **labels, available="true") >= 1


def test_a_chain_recognizing_turn_by_turn_is_watched_under_its_recognizers_name() -> None:
    local = PocketSphinxSTT()
    vad = load_vad()
    model = fallback_stt([local, PocketSphinxSTT()], FallbackOptions(), vad)
    CallMetrics.watch_fallbacks(model)
    chain = model.wrapped_stt  # type: ignore[attr-defined]
    wrapped = chain._stt_instances[0]  # the chain wrapped the recognizer for the VAD
    labels = {"kind": "stt", "provider": local.label, "available": "false"}
    before = sample("frontdesk_provider_availability_changes_total", **labels)
    chain.emit(
        "stt_availability_changed", stt.AvailabilityChangedEvent(stt=wrapped, available=False)
    )
    assert sample("frontdesk_provider_availability_changes_total", **labels) == before + 1


@pytest.fixture
def app_settings(tmp_path: Path) -> Settings:
    return Settings.model_validate({"LIVEKIT_URL": "ws://127.0.0.1:9", "data_dir": tmp_path})


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as c:
        yield c


def test_readyz_names_the_dependency_that_is_down(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"ok": True}
    resp = client.get("/readyz")  # LiveKit at a port nothing listens on; the store is fine
    assert resp.status_code == 503
    body = resp.json()
    assert body["ready"] is False
    assert body["livekit"].startswith("unavailable")
    assert body["store"] == "ok"


def test_metrics_report_the_outbox_as_the_store_holds_it(app_settings: Settings) -> None:
    url = f"sqlite:///{app_settings.data_dir / 'frontdesk.db'}"
    upgrade(normalize_url(url))

    async def enqueue_three() -> None:
        store = Store.from_url(url)
        try:
            async with store.transaction() as s:
                for i in range(3):
                    await enqueue(s, NewNotification(
                        tenant="t1", call_id=None, channel="webhook",
                        target="http://127.0.0.1:9/hook", idempotency_key=f"m-{i}",
                    ))  # fmt: skip
        finally:
            await store.close()

    asyncio.run(enqueue_three())
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as c:
        resp = c.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    assert 'frontdesk_outbox_notifications{status="pending"} 3.0' in resp.text
    assert 'frontdesk_outbox_notifications{status="failed"} 0.0' in resp.text
