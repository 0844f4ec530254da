"""Feed the metrics from one call: its start and end, each turn's latency parts and
confidence (as the recorder stores them), and the fallbacks its providers take."""

from __future__ import annotations

from dataclasses import dataclass, field

from livekit.agents import llm, stt, tts

from ..record.vocabulary import Source
from .registry import CALLS_ACTIVE, CALLS_TOTAL, FALLBACKS, STT_CONFIDENCE, TURN_LATENCY


@dataclass
class CallMetrics:
    """One call's share of the metrics; :meth:`started` once, :meth:`ended` once."""

    tenant: str
    source: Source
    _live: bool = field(default=False, init=False)

    def started(self) -> None:
        CALLS_TOTAL.labels(self.tenant, self.source).inc()
        CALLS_ACTIVE.labels(self.tenant, self.source).inc()
        self._live = True

    def ended(self) -> None:
        if self._live:
            CALLS_ACTIVE.labels(self.tenant, self.source).dec()
            self._live = False

    @staticmethod
    def turn(latency: dict[str, float] | None, stt_confidence: float | None) -> None:
        for part, seconds in (latency or {}).items():
            if seconds >= 0:
                TURN_LATENCY.labels(part).observe(seconds)
        if stt_confidence is not None:
            STT_CONFIDENCE.observe(stt_confidence)

    @staticmethod
    def watch_fallbacks(*models: object) -> None:
        """Count availability changes of the fallback chains among ``models``."""
        for given in models:
            # a chain of recognizers runs turn by turn, inside a StreamAdapter
            model = given.wrapped_stt if isinstance(given, stt.StreamAdapter) else given
            if isinstance(model, stt.FallbackAdapter):
                model.on("stt_availability_changed", _stt_changed)
            elif isinstance(model, tts.FallbackAdapter):
                model.on("tts_availability_changed", _tts_changed)
            elif isinstance(model, llm.FallbackAdapter):
                model.on("llm_availability_changed", _llm_changed)


def _changed(kind: str, provider: str, available: bool) -> None:
    FALLBACKS.labels(kind, provider, "true" if available else "false").inc()


def _stt_changed(ev: stt.AvailabilityChangedEvent) -> None:
    # a recognizer the chain wrapped for the VAD is named by its own label
    model = ev.stt.wrapped_stt if isinstance(ev.stt, stt.StreamAdapter) else ev.stt
    _changed("stt", model.label, ev.available)


def _tts_changed(ev: tts.AvailabilityChangedEvent) -> None:
    _changed("tts", ev.tts.label, ev.available)


def _llm_changed(ev: llm.AvailabilityChangedEvent) -> None:
    _changed("llm", ev.llm.label, ev.available)
