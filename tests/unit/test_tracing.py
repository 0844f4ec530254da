"""Traces: nothing is set up without a collector; with ``OTEL_EXPORTER_OTLP_ENDPOINT``
the spans livekit-agents makes of a turn reach it over OTLP/HTTP, labelled with the call
and tenant, and what the caller said is stripped unless allowed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from livekit.agents.telemetry import trace_types, tracer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agent.config import load_settings
from agent.stack import free_port
from agent.tracing import trace_call

pytestmark = pytest.mark.unit


@pytest.fixture
async def collector() -> AsyncIterator[tuple[list[ExportTraceServiceRequest], str]]:
    """An OTLP/HTTP trace collector on loopback, keeping what it receives."""
    received: list[ExportTraceServiceRequest] = []

    async def traces(request: web.Request) -> web.Response:
        received.append(ExportTraceServiceRequest.FromString(await request.read()))
        return web.Response(body=b"", content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield received, f"http://127.0.0.1:{port}"
    await runner.cleanup()


def test_no_collector_no_tracing() -> None:
    assert trace_call(load_settings(check_keys=False), call_id="c", tenant="t") is None


async def test_a_turn_span_reaches_the_collector_labelled_with_the_call(
    collector: tuple[list[ExportTraceServiceRequest], str],
) -> None:
    received, url = collector
    settings = load_settings(check_keys=False, otel_endpoint=url)
    provider = trace_call(settings, call_id="call-room-1", tenant="crumb-and-co")
    assert provider is not None
    with tracer.start_as_current_span("user_turn") as span:  # as livekit's session does
        span.set_attribute(trace_types.ATTR_USER_TRANSCRIPT, "my name is peter smith")
    await asyncio.to_thread(provider.force_flush)
    provider.shutdown()
    spans = [
        s for r in received for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans
    ]
    [turn] = [s for s in spans if s.name == "user_turn"]
    attributes = {a.key: a.value.string_value for a in turn.attributes}
    assert attributes["frontdesk.call_id"] == "call-room-1"
    assert attributes["frontdesk.tenant"] == "crumb-and-co"
    assert "peter smith" not in " ".join(attributes.values())  # PII stays out by default
