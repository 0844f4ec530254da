"""A registry from provider names to livekit plugin instances.

``local`` is the offline default: Silero VAD, PocketSphinx STT for expected answers with
Whisper tiny.en for free speech (:mod:`.local_stt`), and eSpeak NG TTS.
``deepgram``, ``openai``, ``elevenlabs`` and ``google`` build the real cloud plugins.
A chain of names (``FRONTDESK_STT=deepgram,local``) is wrapped in livekit's
``FallbackAdapter``, so a failing cloud provider falls back to the next one (how fast,
and how it comes back: :mod:`agent.providers.fallback`).

Builders are looked up in explicit tables, never by string at call time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar, runtime_checkable

from livekit.agents import stt, vad
from livekit.plugins import deepgram, elevenlabs, google, openai, silero
from pydantic import SecretStr

from ..config import PROVIDER_KEYS, Settings
from ..errors import ConfigError
from ..phrases import Pattern
from .espeak_tts import ESpeakTTS
from .fallback import FallbackOptions, fallback_stt, fallback_tts
from .kinds import AnyLLM, AnySTT, AnyTTS
from .local_stt import LocalSTT
from .whisper_stt import WhisperSTT

T = TypeVar("T")


@runtime_checkable
class HintableSTT(Protocol):
    """An STT that takes per-turn phrase hints (the offline recognizer)."""

    def set_hints(
        self, phrases: Sequence[str] | None, *, pattern: Pattern | None = None
    ) -> None: ...


_ENV_OF = {attr: env for attr, env in PROVIDER_KEYS.values()}


def _secret(settings: Settings, attr: str) -> str:
    value = getattr(settings, attr)
    if value is None:
        raise ConfigError(f"{_ENV_OF[attr]} is not set, but a provider that needs it is selected")
    return str(value.get_secret_value()) if isinstance(value, SecretStr) else str(value)


def _local_stt(settings: Settings) -> AnySTT:
    free = WhisperSTT(threads=settings.whisper_threads) if settings.neural_stt else None
    return LocalSTT(free_speech=free)


def _deepgram_stt(settings: Settings) -> AnySTT:
    return deepgram.STT(api_key=_secret(settings, "deepgram_api_key"), model="nova-3")


def _openai_stt(settings: Settings) -> AnySTT:
    return openai.STT(api_key=_secret(settings, "openai_api_key"))


def _google_stt(settings: Settings) -> AnySTT:
    return google.STT(credentials_file=_secret(settings, "google_credentials"))


def _local_tts(settings: Settings, voice: str | None) -> AnyTTS:
    return ESpeakTTS(voice=voice or settings.espeak_voice, rate_wpm=settings.espeak_rate_wpm)


def _elevenlabs_tts(settings: Settings, voice: str | None) -> AnyTTS:
    key = _secret(settings, "elevenlabs_api_key")
    return elevenlabs.TTS(api_key=key, voice_id=voice) if voice else elevenlabs.TTS(api_key=key)


def _openai_tts(settings: Settings, voice: str | None) -> AnyTTS:
    key = _secret(settings, "openai_api_key")
    return openai.TTS(api_key=key, voice=voice) if voice else openai.TTS(api_key=key)


def _google_tts(settings: Settings, voice: str | None) -> AnyTTS:
    credentials = _secret(settings, "google_credentials")
    if voice:
        return google.TTS(credentials_file=credentials, voice_name=voice)
    return google.TTS(credentials_file=credentials)


def _deepgram_tts(settings: Settings, voice: str | None) -> AnyTTS:
    key = _secret(settings, "deepgram_api_key")
    return deepgram.TTS(api_key=key, model=voice) if voice else deepgram.TTS(api_key=key)


def _openai_llm(settings: Settings) -> AnyLLM:
    model = settings.llm_model or "gpt-4.1-mini"
    return openai.LLM(api_key=_secret(settings, "openai_api_key"), model=model)


def _google_llm(settings: Settings) -> AnyLLM:
    key = _secret(settings, "google_api_key")
    if settings.llm_model:
        return google.LLM(api_key=key, model=settings.llm_model)
    return google.LLM(api_key=key)


STT_BUILDERS: dict[str, Callable[[Settings], AnySTT]] = {
    "local": _local_stt,
    "deepgram": _deepgram_stt,
    "openai": _openai_stt,
    "google": _google_stt,
}
TTS_BUILDERS: dict[str, Callable[[Settings, str | None], AnyTTS]] = {
    "local": _local_tts,
    "elevenlabs": _elevenlabs_tts,
    "openai": _openai_tts,
    "google": _google_tts,
    "deepgram": _deepgram_tts,
}
LLM_BUILDERS: dict[str, Callable[[Settings], AnyLLM]] = {
    "openai": _openai_llm,
    "google": _google_llm,
}


def _lookup(table: dict[str, T], name: str, variable: str) -> T:
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise ConfigError(f"{variable}: unknown provider {name!r} (known: {known})") from None


def load_vad(min_silence_s: float = 0.45) -> vad.VAD:
    """Load Silero VAD, ending speech after ``min_silence_s`` of silence
    (FRONTDESK_VAD_SILENCE). Blocking: call it in the worker's prewarm, not on a live loop."""
    return silero.VAD.load(min_silence_duration=min_silence_s)


def build_stt(settings: Settings, *, vad_model: vad.VAD | None = None) -> AnySTT:
    chain = [_lookup(STT_BUILDERS, n, "FRONTDESK_STT")(settings) for n in settings.stt]
    if len(chain) == 1:
        return chain[0]
    if vad_model is None:
        raise ConfigError(
            "FRONTDESK_STT: a fallback chain needs the VAD (pass vad_model): "
            "it recognizes each turn the VAD cuts"
        )
    return fallback_stt(chain, FallbackOptions.of(settings), vad_model)


def build_tts(settings: Settings, *, voice: str | None = None) -> AnyTTS:
    """The TTS chain of ``settings``; ``voice`` (a tenant's) goes to its first TTS."""
    builders = [_lookup(TTS_BUILDERS, n, "FRONTDESK_TTS") for n in settings.tts]
    chain = [build(settings, voice if i == 0 else None) for i, build in enumerate(builders)]
    if len(chain) == 1:
        return chain[0]
    return fallback_tts(chain, FallbackOptions.of(settings))


def build_llm(settings: Settings) -> AnyLLM | None:
    if settings.llm == "none":
        return None
    return _lookup(LLM_BUILDERS, settings.llm, "FRONTDESK_LLM")(settings)


def _members(model: AnySTT) -> list[AnySTT]:
    """The concrete recognizers behind adapters (fallback chains, VAD stream adapters)."""
    if isinstance(model, stt.FallbackAdapter):
        return [m for inner in model._stt_instances for m in _members(inner)]
    if isinstance(model, stt.StreamAdapter):
        return _members(model.wrapped_stt)
    return [model]


def apply_hints(
    model: AnySTT, phrases: Sequence[str] | None, *, pattern: Pattern | None = None
) -> None:
    """Give the recognizer the phrases the current node expects (and ``pattern``: how a
    typed answer is worded, see :mod:`agent.flow.slots.patterns`).

    The offline recognizer turns them into a grammar; Deepgram takes them as keyterms.
    Providers with no hint mechanism ignore them.
    """
    for member in _members(model):
        if isinstance(member, HintableSTT):
            member.set_hints(phrases, pattern=pattern)
        elif isinstance(member, deepgram.STT):
            member.update_options(keyterm=list(phrases or []))
