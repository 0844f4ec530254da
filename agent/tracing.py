"""OpenTelemetry traces of a call's turns, when a collector is configured.

livekit-agents traces each session itself (a span per user turn, agent turn, STT, TTS
and LLM request, with their timings); Frontdesk only gives it a tracer provider that
exports them over OTLP/HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (``/v1/traces``),
labels every span with the call and tenant, and keeps what callers said out of them
unless ``FRONTDESK_OTEL_ALLOW_PII`` is set. One job process serves one call, so the
provider is set once per call, in its process; the job's shutdown flushes it.
"""

from __future__ import annotations

from livekit.agents.telemetry import set_tracer_provider
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.util.types import AttributeValue

from .config import Settings

SERVICE_NAME = "frontdesk-worker"


def trace_call(settings: Settings, *, call_id: str, tenant: str) -> TracerProvider | None:
    """Send this process's spans to the configured collector, each labelled with the
    call; None (and nothing traced) when no endpoint is set."""
    if not settings.otel_endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    endpoint = f"{settings.otel_endpoint.rstrip('/')}/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    metadata: dict[str, AttributeValue] = {"frontdesk.call_id": call_id, "frontdesk.tenant": tenant}
    set_tracer_provider(provider, metadata=metadata, allow_pii=settings.otel_allow_pii)
    return provider
