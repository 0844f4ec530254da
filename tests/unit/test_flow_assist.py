"""LLM-assisted mode's assistant: Consults answered through livekit's ``llm.LLM`` (a
scripted FakeLLM stands in for the unreachable cloud LLM), and every failure turned into
an AssistError so the turn runs scripted."""

from __future__ import annotations

import pytest

from agent.flow.actions import AssistError, Consult, Replied, ToolCalled, ToolSpec
from agent.flow.assist import LlmAssistant
from tests.fake_llm import FakeLLM, FakeResponse

pytestmark = pytest.mark.unit

SET_SIZE = ToolSpec("set_size", "Record the party size.", {"value": ("string", "a number")})


def consult(*, may_reply: bool = False) -> Consult:
    return Consult(
        node="size",
        text="me my wife and the kids",
        instructions="Be warm.",
        tools=(SET_SIZE,),
        may_reply=may_reply,
        history=(("agent", "How many people?"),),
    )


async def test_a_tool_call_becomes_tool_called_with_string_arguments() -> None:
    fake = FakeLLM([FakeResponse(tool_calls=[("set_size", {"value": 5})])])
    assist = await LlmAssistant(fake).consult(consult())
    assert assist == ToolCalled("set_size", {"value": "5"})
    (request,) = fake.requests
    assert request.tool_names == ("set_size",) and request.tool_choice == "required"
    roles = [getattr(item, "role", "") for item in request.chat_ctx.items]
    assert roles == ["system", "assistant", "user"]
    assert "Be warm." in str(getattr(request.chat_ctx.items[0], "content", ""))


async def test_a_reply_is_used_only_where_replies_are_allowed() -> None:
    fake = FakeLLM([FakeResponse(text="How lovely! How many of you?")])
    assert await LlmAssistant(fake).consult(consult(may_reply=True)) == Replied(
        "How lovely! How many of you?"
    )
    assert fake.requests[0].tool_choice == "auto"
    refused = await LlmAssistant(fake).consult(consult())
    assert isinstance(refused, AssistError) and "neither called a tool" in refused.error


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (FakeResponse(error="connection reset"), "the LLM failed: APIConnectionError"),
        (FakeResponse(tool_calls=[("set_size", "{not json")]), "not JSON"),
        (FakeResponse(tool_calls=[("set_size", "[1, 2]")]), "non-object arguments"),
        (FakeResponse(text="later", delay_s=5), "did not answer within 0.2 s"),
    ],
)
async def test_failures_become_assist_errors(response: FakeResponse, error: str) -> None:
    assist = await LlmAssistant(FakeLLM([response]), timeout_s=0.2).consult(consult())
    assert isinstance(assist, AssistError) and error in assist.error


async def test_phrasing_keeps_the_scripted_line_when_the_llm_fails() -> None:
    line = "We open at seven."
    good = LlmAssistant(FakeLLM([FakeResponse(text="We're open from 7 each morning!")]))
    assert await good.phrase(line, "Be cheerful.", ()) == "We're open from 7 each morning!"
    bad = LlmAssistant(FakeLLM([FakeResponse(error="down")]))
    assert await bad.phrase(line, "Be cheerful.", ()) == line
    empty = LlmAssistant(FakeLLM([FakeResponse(text="  ")]))
    assert await empty.phrase(line, "Be cheerful.", ()) == line
    # the runtime tells a failed request (None: it stops asking for that step) from a
    # blank answer
    assert await bad.try_phrase(line, "Be cheerful.", ()) is None
    assert await empty.try_phrase(line, "Be cheerful.", ()) == line


async def test_a_failing_llm_is_asked_once_not_retried_while_the_caller_waits() -> None:
    fake = FakeLLM([FakeResponse(error="503", retryable=True)])
    assist = await LlmAssistant(fake, timeout_s=5).consult(consult())
    assert isinstance(assist, AssistError)
    assert fake.attempts == 1  # livekit's default would retry three times, 2 s apart
