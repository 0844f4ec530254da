"""Fallback chains on livekit's ``FallbackAdapter``: how fast a chain leaves a provider.

A chain (``FRONTDESK_STT=deepgram,local``) tries its providers in order. A provider that
raises a livekit ``APIError``, or does not answer within ``attempt_timeout_s`` (retried
``retries`` times first), is marked unavailable and the same request goes to the next
one. While it is unavailable livekit probes it in the background with each later
request, and marks it available again when a probe succeeds: the request after that is
its again. Both changes are ``*_availability_changed`` events (counted in the metrics).

* STT: the chain recognizes each caller turn whole (``stt.StreamAdapter`` over the
  chain, cut by the VAD), so a turn a provider fails on is recognized from the same
  audio by the next one, and a recovered provider serves again from the next turn. A
  chain's cloud recognizer therefore runs in its request mode, not streaming.
* TTS: each sentence is a request; the timeout reaches the chain through the session's
  ``tts_conn_options`` (:func:`session_conn_options`).

The bound is the plugins' own: they apply ``APIConnectOptions.timeout`` to connecting,
so a service that stops answering after it accepted a request is left only when the
plugin's own request timeout ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livekit.agents import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions, stt, tts, vad
from livekit.agents.voice.agent_session import SessionConnectOptions

from ..config import Settings
from .kinds import AnySTT, AnyTTS


@dataclass(frozen=True, kw_only=True)
class FallbackOptions:
    """How a chain leaves a failing provider (``FRONTDESK_FALLBACK_*``)."""

    attempt_timeout_s: float = 1.0
    retries: int = 0
    retry_interval_s: float = 0.5

    @classmethod
    def of(cls, settings: Settings) -> FallbackOptions:
        return cls(
            attempt_timeout_s=settings.fallback_timeout_s,
            retries=settings.fallback_retries,
            retry_interval_s=settings.fallback_retry_interval_s,
        )

    @property
    def conn_options(self) -> APIConnectOptions:
        """A chain's requests: each member gets the timeout; the chain itself never
        repeats a request all its members failed (the next turn tries them again)."""
        return APIConnectOptions(
            max_retry=0, timeout=self.attempt_timeout_s, retry_interval=self.retry_interval_s
        )


def fallback_stt(chain: list[AnySTT], options: FallbackOptions, vad_model: vad.VAD) -> AnySTT:
    """``chain`` in livekit's ``FallbackAdapter``, recognizing one VAD-cut turn at a time.

    The fallbacks are warmed now (livekit warms only the first): a cold PocketSphinx
    builds its decoders on its first turn, which would add most of a second to the
    switch."""
    members: list[stt.STT[Any]] = list(chain)
    for fallback in members[1:]:
        fallback.prewarm()
    adapter = stt.FallbackAdapter(
        members,
        vad=vad_model,
        attempt_timeout=options.attempt_timeout_s,
        max_retry_per_stt=options.retries,
        retry_interval=options.retry_interval_s,
    )
    return stt.StreamAdapter(stt=adapter, vad=vad_model)


def fallback_tts(chain: list[AnyTTS], options: FallbackOptions) -> AnyTTS:
    """``chain`` in livekit's ``FallbackAdapter`` (its timeout: :func:`session_conn_options`)."""
    members: list[tts.TTS[Any]] = list(chain)
    return tts.FallbackAdapter(members, max_retry_per_tts=options.retries)


def session_conn_options(settings: Settings) -> SessionConnectOptions:
    """The AgentSession's options: a chain's requests bounded by the fallback timeout; a
    lone provider keeps livekit's defaults (nothing to fall back to)."""
    chain = FallbackOptions.of(settings).conn_options
    return SessionConnectOptions(
        stt_conn_options=chain if len(settings.stt) > 1 else DEFAULT_API_CONNECT_OPTIONS,
        tts_conn_options=chain if len(settings.tts) > 1 else DEFAULT_API_CONNECT_OPTIONS,
    )
