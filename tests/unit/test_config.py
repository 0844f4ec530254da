"""Settings: defaults work offline, and bad values are refused naming the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.config import Settings, load_settings
from agent.errors import ConfigError

pytestmark = pytest.mark.unit

ENV_VARS = {
    name
    for field in Settings.model_fields.values()
    if field.validation_alias is not None
    for name in [field.validation_alias.choices[0]]  # type: ignore[union-attr]
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_offline() -> None:
    settings = load_settings()
    assert settings.stt == ("local",)
    assert settings.tts == ("local",)
    assert settings.llm == "none"
    assert settings.providers_in_use() == []
    assert settings.livekit_url.startswith("ws://127.0.0.1")


def test_secret_is_masked_in_repr() -> None:
    settings = load_settings()
    assert "frontdesk-dev-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FRONTDESK_STT", "deepgarm"),
        ("FRONTDESK_TTS", "local,polly"),
        ("FRONTDESK_LLM", "claude"),
        ("FRONTDESK_ESPEAK_RATE", "fast"),
        ("FRONTDESK_LOG_LEVEL", "LOUD"),
        ("FRONTDESK_WORKER_PORT", "70000"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=re.escape(variable)):
        load_settings()


def test_chain_and_case_are_normalized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_STT", " Deepgram , local ")
    monkeypatch.setenv("DEEPGRAM_API_KEY", "dg-test")
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.stt == ("deepgram", "local")
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("variable", "value", "missing"),
    [
        ("FRONTDESK_STT", "deepgram", "DEEPGRAM_API_KEY"),
        ("FRONTDESK_TTS", "elevenlabs", "ELEVEN_API_KEY"),
        ("FRONTDESK_TTS", "google", "GOOGLE_APPLICATION_CREDENTIALS"),
        ("FRONTDESK_LLM", "openai", "OPENAI_API_KEY"),
        ("FRONTDESK_LLM", "google", "GOOGLE_API_KEY"),
    ],
)
def test_missing_key_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, missing: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=missing) as info:
        load_settings()
    assert variable in str(info.value)


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FRONTDESK_ESPEAK_VOICE=en-gb\n")
    assert load_settings().espeak_voice == "en-gb"


def test_env_example_documents_every_variable() -> None:
    example = (Path(__file__).parents[2] / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    assert documented >= ENV_VARS, sorted(ENV_VARS - documented)
