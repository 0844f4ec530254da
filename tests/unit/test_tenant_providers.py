"""A tenant's ``providers`` take effect in its calls: two tenants served by one worker
process get their own voice and recognizer, each pipeline built once and reused; a
provider whose key is missing refuses the tenant's calls with an error naming its file."""

from __future__ import annotations

from pathlib import Path

import pytest
from livekit.plugins import deepgram

from agent.config import load_settings
from agent.errors import TenantError
from agent.providers.espeak_tts import ESpeakTTS
from agent.providers.local_stt import LocalSTT
from agent.providers.registry import load_vad
from agent.session import Pipelines, prepare_call
from agent.tenants import RoomKeys

pytestmark = pytest.mark.unit

TENANT = "name: {name}\nflow: demo_bakery\nproviders: {providers}\n"


def _tenants(tmp_path: Path, **providers: str) -> Path:
    for tenant_id, spec in providers.items():
        (tmp_path / tenant_id).mkdir()
        text = TENANT.format(name=tenant_id.title(), providers=spec)
        (tmp_path / tenant_id / "tenant.yaml").write_text(text)
    return tmp_path


def test_two_tenants_on_one_worker_get_their_own_voice_and_recognizer(tmp_path: Path) -> None:
    tenants = _tenants(
        tmp_path,
        bakery="{voice: en-us+f3}",
        salon="{stt: deepgram, voice: en}",
        plain="{}",
    )
    settings = load_settings(
        check_keys=False, tenants_dir=tenants, deepgram_api_key="dg-key", espeak_voice="en-us"
    )
    pipelines = Pipelines(settings, load_vad())  # one worker process
    bakery = pipelines.get(prepare_call(settings, RoomKeys(tenant="bakery")).providers)
    salon = pipelines.get(prepare_call(settings, RoomKeys(tenant="salon")).providers)
    plain = pipelines.get(prepare_call(settings, RoomKeys(tenant="plain")).providers)

    assert isinstance(bakery.tts, ESpeakTTS) and bakery.tts.options.voice == "en-us+f3"
    assert isinstance(salon.tts, ESpeakTTS) and salon.tts.options.voice == "en"
    assert isinstance(plain.tts, ESpeakTTS) and plain.tts.options.voice == "en-us"
    assert isinstance(bakery.stt, LocalSTT)
    assert isinstance(salon.stt, deepgram.STT)
    # the next call of a tenant reuses the pipeline its process built
    again = pipelines.get(prepare_call(settings, RoomKeys(tenant="bakery")).providers)
    assert again is bakery and again.tts is bakery.tts


def test_a_tenants_llm_makes_its_calls_assisted(tmp_path: Path) -> None:
    tenants = _tenants(tmp_path, smart="{llm: openai}", plain="{}")
    settings = load_settings(check_keys=False, tenants_dir=tenants, openai_api_key="sk-test")
    assert prepare_call(settings, RoomKeys(tenant="smart")).assisted
    assert not prepare_call(settings, RoomKeys(tenant="plain")).assisted
    pipeline = Pipelines(settings, load_vad()).get(
        prepare_call(settings, RoomKeys(tenant="smart")).providers
    )
    assert pipeline.llm is not None and pipeline.llm.provider == "api.openai.com"


def test_a_tenant_provider_without_its_key_is_refused_naming_the_tenant(tmp_path: Path) -> None:
    tenants = _tenants(tmp_path, cloudy="{tts: elevenlabs}")
    settings = load_settings(check_keys=False, tenants_dir=tenants)
    with pytest.raises(TenantError, match=r"cloudy/tenant\.yaml: providers: ELEVEN_API_KEY"):
        prepare_call(settings, RoomKeys(tenant="cloudy"))
