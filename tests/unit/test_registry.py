"""The provider registry: local by default, cloud plugins when selected, fallback chains."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from livekit.agents import stt, tts
from livekit.plugins import deepgram, elevenlabs, google, openai

from agent.config import Settings
from agent.errors import ConfigError, ProviderError
from agent.providers.espeak_tts import ESpeakTTS
from agent.providers.fallback import session_conn_options
from agent.providers.local_stt import LocalSTT
from agent.providers.registry import (
    _members,
    apply_hints,
    build_llm,
    build_stt,
    build_tts,
    load_vad,
)
from agent.providers.whisper_stt import WhisperSTT
from agent.session import Pipeline

pytestmark = pytest.mark.unit


def settings(**values: object) -> Settings:
    return Settings.model_validate(values)


@pytest.fixture
def google_credentials(tmp_path: Path) -> str:
    """A syntactically valid service-account file (the Google plugins read it at build).

    The "key" is four bytes of nonsense, assembled so it is not mistaken for a real one.
    """
    marker = "PRIVATE" + " KEY"
    path = tmp_path / "sa.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "frontdesk-test",
                "private_key_id": "k",
                "private_key": f"-----BEGIN {marker}-----\nMIIB\n-----END {marker}-----\n",
                "client_email": "frontdesk@test.invalid",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    return str(path)


def test_local_is_the_default() -> None:
    s = settings()
    local_stt = build_stt(s)
    assert isinstance(local_stt, LocalSTT)
    assert isinstance(local_stt.free_speech, WhisperSTT)  # free speech: Whisper tiny.en
    local_tts = build_tts(s)
    assert isinstance(local_tts, ESpeakTTS)
    assert build_llm(s) is None


def test_local_tts_takes_voice_and_rate() -> None:
    built = build_tts(settings(FRONTDESK_ESPEAK_VOICE="en-us+f3", FRONTDESK_ESPEAK_RATE=200))
    assert isinstance(built, ESpeakTTS)
    assert built.options.voice == "en-us+f3"
    assert built.options.rate_wpm == 200


def test_unknown_local_voice_is_refused() -> None:
    with pytest.raises(ProviderError, match="xx-nowhere"):
        build_tts(settings(FRONTDESK_ESPEAK_VOICE="xx-nowhere"))


def test_deepgram_stt_is_configured() -> None:
    built = build_stt(settings(FRONTDESK_STT="deepgram", DEEPGRAM_API_KEY="dg-key"))
    assert isinstance(built, deepgram.STT)
    assert built.model == "nova-3"
    assert built._api_key == "dg-key"


def test_cloud_tts_plugins_are_configured(google_credentials: str) -> None:
    eleven = build_tts(settings(FRONTDESK_TTS="elevenlabs", ELEVEN_API_KEY="el-key"))
    assert isinstance(eleven, elevenlabs.TTS)
    assert eleven._opts.api_key == "el-key"
    oa = build_tts(settings(FRONTDESK_TTS="openai", OPENAI_API_KEY="oa-key"))
    assert isinstance(oa, openai.TTS)
    gg = build_tts(
        settings(FRONTDESK_TTS="google", GOOGLE_APPLICATION_CREDENTIALS=google_credentials)
    )
    assert isinstance(gg, google.TTS)


def test_cloud_stt_and_llm_plugins_are_configured(google_credentials: str) -> None:
    assert isinstance(build_stt(settings(FRONTDESK_STT="openai", OPENAI_API_KEY="k")), openai.STT)
    gstt = build_stt(
        settings(FRONTDESK_STT="google", GOOGLE_APPLICATION_CREDENTIALS=google_credentials)
    )
    assert isinstance(gstt, google.STT)
    oa = build_llm(
        settings(FRONTDESK_LLM="openai", OPENAI_API_KEY="k", FRONTDESK_LLM_MODEL="gpt-4.1")
    )
    assert isinstance(oa, openai.LLM)
    assert oa.model == "gpt-4.1"
    assert isinstance(build_llm(settings(FRONTDESK_LLM="google", GOOGLE_API_KEY="k")), google.LLM)


def test_chain_builds_fallback_adapters() -> None:
    s = settings(
        FRONTDESK_STT="deepgram,local",
        FRONTDESK_TTS="elevenlabs,local",
        DEEPGRAM_API_KEY="k",
        ELEVEN_API_KEY="k",
    )
    chained_stt = build_stt(s, vad_model=load_vad())
    # the chain recognizes turn by turn: a VAD-cut turn goes whole to one provider
    assert isinstance(chained_stt, stt.StreamAdapter)
    chain = chained_stt.wrapped_stt
    assert isinstance(chain, stt.FallbackAdapter)
    assert (chain._attempt_timeout, chain._max_retry_per_stt) == (1.0, 0)
    with pytest.raises(ConfigError, match="FRONTDESK_STT"):
        build_stt(s)  # a chain needs the VAD to cut turns
    chained_tts = build_tts(s)
    assert isinstance(chained_tts, tts.FallbackAdapter)
    assert chained_tts._max_retry_per_tts == 0


def test_fallback_settings_reach_the_adapters_and_the_session() -> None:
    s = settings(
        FRONTDESK_STT="deepgram,local",
        FRONTDESK_TTS="elevenlabs,local",
        DEEPGRAM_API_KEY="k",
        ELEVEN_API_KEY="k",
        FRONTDESK_FALLBACK_TIMEOUT="0.75",
        FRONTDESK_FALLBACK_RETRIES="1",
        FRONTDESK_FALLBACK_RETRY_INTERVAL="0.1",
    )
    chained = build_stt(s, vad_model=load_vad())
    chain = chained.wrapped_stt  # type: ignore[attr-defined]
    assert (chain._attempt_timeout, chain._max_retry_per_stt, chain._retry_interval) == (
        0.75,
        1,
        0.1,
    )
    assert build_tts(s)._max_retry_per_tts == 1  # type: ignore[attr-defined]
    options = session_conn_options(s)
    for conn in (options.stt_conn_options, options.tts_conn_options):
        assert (conn.timeout, conn.max_retry) == (0.75, 0)
    lone = session_conn_options(settings())  # the local providers alone: livekit's defaults
    assert lone.tts_conn_options.timeout == lone.stt_conn_options.timeout == 10.0


def test_missing_key_at_build_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="DEEPGRAM_API_KEY"):
        build_stt(settings(FRONTDESK_STT="deepgram"))


def test_hints_reach_local_and_deepgram_members() -> None:
    s = settings(FRONTDESK_STT="deepgram,local", DEEPGRAM_API_KEY="k")
    chained = build_stt(s, vad_model=load_vad())
    apply_hints(chained, ["opening hours", "book a table"])
    members = chained.wrapped_stt._stt_instances  # type: ignore[attr-defined]
    dg = next(m for m in members if isinstance(m, deepgram.STT))
    assert dg._opts.keyterm == ["opening hours", "book a table"]
    local = next(m for m in members if isinstance(m, stt.StreamAdapter))
    assert isinstance(local.wrapped_stt, LocalSTT)
    assert local.wrapped_stt.hints == ("opening hours", "book a table")
    assert local.wrapped_stt.grammar.hints == ("opening hours", "book a table")


async def test_a_chains_local_recognizer_is_warmed_before_its_first_turn() -> None:
    """livekit warms only a chain's first provider; a cold PocketSphinx would build its
    decoders on the turn it takes over, adding most of a second to the switch."""
    s = settings(FRONTDESK_STT="deepgram,local", DEEPGRAM_API_KEY="k")
    chained = build_stt(s, vad_model=load_vad())
    local = next(m for m in _members(chained) if isinstance(m, LocalSTT))
    for _ in range(400):  # built in its own thread, in the background
        if local.grammar._engine is not None:
            break
        await asyncio.sleep(0.05)
    assert local.grammar._engine is not None, "the fallback recognizer was not warmed"
    await local.aclose()


async def test_a_calls_session_bounds_its_chains_requests() -> None:
    s = settings(FRONTDESK_TTS="local,local", FRONTDESK_FALLBACK_TIMEOUT="0.8")
    pipeline = Pipeline.build(s, load_vad())
    session = pipeline.session(s)
    assert session.conn_options.tts_conn_options.timeout == 0.8  # the chain's bound
    assert session.conn_options.stt_conn_options.timeout == 10.0  # a lone recognizer's
    await session.aclose()
