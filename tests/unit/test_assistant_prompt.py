"""``prompts/assistant.txt`` is the LLM's instructions for its tenant's calls: rendered
with the tenant's name and hours, it reaches every request the assistant makes (a
scripted FakeLLM stands in for the cloud LLM); a template error names its file and line,
at call preparation and in ``tenant check``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.config import ROOT, load_settings
from agent.errors import TenantError
from agent.flow.actions import Consult, ToolSpec
from agent.flow.assist import LlmAssistant
from agent.session import prepare_call
from agent.tenants import RoomKeys, load_tenant
from agent.tenants.check import check_tenant
from tests.fake_llm import FakeLLM, FakeResponse

pytestmark = pytest.mark.unit

TENANT = """name: Rosie's Kitchen
flow: demo_bakery
hours: {tue: "07:30-18:00", sat: {open: "09:00-12:00", note: brunch only}}
providers: {llm: openai}
"""
PROMPT = "You answer the phone for {{ tenant.name }}.\nOpening hours: {{ tenant.hours }}.\n"


def _tenant(tmp_path: Path, prompt: str) -> Path:
    folder = tmp_path / "rosie"
    (folder / "prompts").mkdir(parents=True)
    (folder / "tenant.yaml").write_text(TENANT)
    (folder / "prompts" / "assistant.txt").write_text(prompt)
    return tmp_path


def _system_message(fake: FakeLLM) -> str:
    first = fake.requests[-1].chat_ctx.items[0]
    assert getattr(first, "role", "") == "system"
    return str(getattr(first, "content", ""))


async def test_the_tenants_prompt_is_the_llms_instructions_templated(tmp_path: Path) -> None:
    settings = load_settings(
        check_keys=False, tenants_dir=_tenant(tmp_path, PROMPT), openai_api_key="sk-test"
    )
    plan = prepare_call(settings, RoomKeys(tenant="rosie"))
    assert plan.assisted and plan.instructions is not None
    fake = FakeLLM([FakeResponse(tool_calls=[("set_size", {"value": 2})])])
    assistant = LlmAssistant(fake, instructions=plan.instructions)
    spec = ToolSpec("set_size", "Record the party size.", {"value": ("string", "a number")})
    await assistant.consult(
        Consult(
            node="n",
            text="two",
            instructions="Node rule.",
            tools=(spec,),
            may_reply=False,
            history=(),
        )
    )
    system = _system_message(fake)
    assert "You answer the phone for Rosie's Kitchen." in system
    assert "Tuesday 7:30 a.m. to 6 p.m." in system
    assert "Saturday 9 a.m. to noon (brunch only)" in system and "Monday closed" in system
    assert system.index("Rosie's Kitchen") < system.index("Node rule.")
    # phrasing a line follows the same instructions
    await assistant.phrase("We open at nine.", "Be brief.", ())
    assert "You answer the phone for Rosie's Kitchen." in _system_message(fake)


def test_a_bad_template_is_refused_with_its_file_and_line(tmp_path: Path) -> None:
    tenants = _tenant(tmp_path, "Hello.\nWe are {{ tenant.nmae }}.\n")
    settings = load_settings(check_keys=False, tenants_dir=tenants, openai_api_key="sk-test")
    with pytest.raises(TenantError, match=r"prompts/assistant\.txt:2: .*'tenant\.nmae'"):
        prepare_call(settings, RoomKeys(tenant="rosie"))
    problems = check_tenant(load_tenant(tenants, "rosie"), ROOT / "flows")
    assert any(re.search(r"assistant\.txt:2: .*tenant\.nmae", p) for p in problems), problems


def test_the_shipped_assistant_prompts_render() -> None:
    for tenant_id in ("crumb-and-co", "hudson-dental"):
        tenant = load_tenant(ROOT / "tenants", tenant_id)
        settings = load_settings(check_keys=False, openai_api_key="sk-test")
        assert check_tenant(tenant, settings.flows_dir) == []
        from agent.tenants.assistant import assistant_instructions

        text = assistant_instructions(tenant)
        assert text is not None and tenant.name.split()[0] in text
