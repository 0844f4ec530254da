"""The console's warm summary: the deployment's LLM when one is configured, else (and
whenever it fails or is slow) the deterministic summary. The cloud LLMs cannot be
reached from here: :class:`~tests.fake_llm.FakeLLM`, a scripted fake, stands in for
them."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import Settings
from agent.control.app import summarizer_for
from agent.control.summary import Line, Summarizer, summarize
from tests.fake_llm import FakeLLM, FakeResponse

pytestmark = pytest.mark.unit

LINES = [Line("agent", "Hello, Crumb and Co."), Line("caller", "a person please")]
SLOTS = {"party_size": "4"}
PLAIN = summarize(LINES, SLOTS, "asked for a person")


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.model_validate({"LIVEKIT_URL": "ws://127.0.0.1:9", "data_dir": tmp_path, **env})


def test_no_llm_configured_is_the_plain_summary(tmp_path: Path) -> None:
    assert summarizer_for(_settings(tmp_path)).model is None


def test_a_configured_llm_is_asked(tmp_path: Path) -> None:
    chosen = summarizer_for(
        _settings(tmp_path, FRONTDESK_LLM="openai", OPENAI_API_KEY="sk-not-a-real-key")
    )
    assert chosen.model is not None
    assert chosen.timeout_s == 8.0
    slow = _settings(
        tmp_path,
        FRONTDESK_LLM="openai",
        OPENAI_API_KEY="sk-not-a-real-key",
        FRONTDESK_SUMMARY_TIMEOUT="2.5",
    )
    assert summarizer_for(slow).timeout_s == 2.5


async def test_the_llms_answer_is_the_summary_once_per_transcript() -> None:
    fake = FakeLLM([FakeResponse(text="Caller wants a person; table for 4.")])
    summarizer = Summarizer(fake)
    first = await summarizer.summary("call-1@t", LINES, SLOTS, "asked for a person")
    again = await summarizer.summary("call-1@t", LINES, SLOTS, "asked for a person")
    assert first == again == "Caller wants a person; table for 4."
    assert len(fake.requests) == 1  # kept: the console asks on every refresh
    asked = " ".join(str(m.content) for m in fake.requests[0].chat_ctx.messages())
    assert "a person please" in asked and "party_size=4" in asked
    longer = [*LINES, Line("caller", "hello?")]
    await summarizer.summary("call-1@t", longer, SLOTS, "asked for a person")
    assert len(fake.requests) == 2  # a new line: asked again


@pytest.mark.parametrize(
    "response",
    [
        FakeResponse(error="the LLM is down"),
        FakeResponse(text="too late", delay_s=5.0),
        FakeResponse(text="   "),
    ],
    ids=["error", "timeout", "empty"],
)
async def test_the_plain_summary_stands_in_when_the_llm_fails(response: FakeResponse) -> None:
    summarizer = Summarizer(FakeLLM([response]), timeout_s=0.2)
    assert await summarizer.summary("call-2@t", LINES, SLOTS, "asked for a person") == PLAIN


async def test_nothing_said_is_not_asked() -> None:
    fake = FakeLLM([FakeResponse(text="x")])
    assert await Summarizer(fake).summary("c@t", [], {}, None) == "Nothing said yet."
    assert fake.requests == []


async def test_a_failure_is_not_waited_for_again_until_a_new_line() -> None:
    fake = FakeLLM([FakeResponse(error="the LLM is down")])
    summarizer = Summarizer(fake, timeout_s=0.5)
    for _ in range(2):
        assert await summarizer.summary("call-3@t", LINES, SLOTS, "asked for a person") == PLAIN
    assert len(fake.requests) == 1
