"""A person takes a call from the handoff console, in real browsers, on the real stack.

A web visitor (headless Chromium, eSpeak NG clips on a fake microphone) calls Crumb & Co
and asks for a person. A staff member signed in to the console (another browser
profile, its own fake microphone) sees the request appear live, takes the call and
speaks; the agent says its one introducing line and then stays silent while the person
is in; the person hands back and the flow resumes after the handoff. The stored call
holds the caller's, the agent's and the person's turns in order. Screenshots go to
``$FRONTDESK_TEST_ARTIFACTS/console`` (default ``var/test-artifacts/console/``).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page

from agent.config import Settings
from agent.stack import LocalStack
from agent.store import turns as turn_repo
from agent.store.engine import Store, database_url
from tests.browser import WidgetVisitor, visitor_context, wav_of
from tests.callers import stored_call
from tests.staff import PASSWORD, add_staff_key

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TENANT, CAMPAIGN = "crumb-and-co", "crumb-website"  # flows/receptionist.yaml
STAFF_EMAIL = "anna@crumb-and-co.example"
HUMAN_LINE = "hello this is anna from the bakery how can I help you today"


ARTIFACTS = "console"  # screenshots: the conftest's `artifacts` folder


async def console(browser: Browser, origin: str) -> Page:
    context = await visitor_context(browser, origin)
    page = await context.new_page()
    await page.set_viewport_size({"width": 1100, "height": 900})
    await page.goto(f"{origin}/console")
    await page.fill("#tenant", TENANT)
    await page.fill("#email", STAFF_EMAIL)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#live[data-state=ready]", timeout=30_000)
    return page


async def stored_turns(settings: Settings, call_id: str) -> list[tuple[str, str]]:
    store = Store.open(settings)
    try:
        async with store.transaction() as s:
            return [(t.speaker, t.text) for t in await turn_repo.list_turns(s, call_id)]
    finally:
        await store.close()


async def ask_for_a_person(visitor: WidgetVisitor, staff: Page) -> tuple[Locator, float]:
    """The visitor asks; the request's card in the console, and how long it took."""
    before = len(await visitor.transcript())
    # a phrase of the human intent as it is (PocketSphinx decodes against the node's
    # grammar: "can I speak to a human please" came out as "the thought you would please")
    await visitor.say("speak to a person")
    asked_at = time.monotonic()
    card = staff.locator("#requests li").first
    await card.wait_for(timeout=30_000)
    shown_s = time.monotonic() - asked_at
    assert "asked for a person" in await card.inner_text()
    assert await visitor.agent_turn_done(before, timeout=45)  # "... please hold on."
    assert "hold on" in await visitor.agent_said_since(before)
    return card, shown_s


async def take(card: Locator, staff: Page, visitor: WidgetVisitor) -> float:
    """Take the call: the console in the room, and the agent's one introducing line."""
    before = len(await visitor.transcript())  # the agent may announce before the page is in
    taken_at = time.monotonic()
    await card.locator("button.take").click()
    await staff.wait_for_function(
        "() => window.frontdeskConsoleCall && window.frontdeskConsoleCall.state === 'in-call'",
        timeout=30_000,
    )
    joined_s = time.monotonic() - taken_at
    assert await visitor.agent_turn_done(before, timeout=30)
    assert "member of our team" in await visitor.agent_said_since(before)
    return joined_s


async def person_and_caller_talk(staff: Page, visitor: WidgetVisitor) -> float:
    """The person speaks (heard by the caller: seconds until then), the caller answers;
    the agent says nothing meanwhile."""
    clip = await wav_of(HUMAN_LINE)
    spoke_at = time.monotonic()
    # say() resolves when the clip has played: timed while it plays, not after it
    playing = asyncio.ensure_future(staff.evaluate("b64 => window.__visitor.say(b64)", clip))
    await visitor.page.wait_for_function(
        "() => window.frontdesk.personSpeaking", timeout=10_000, polling=50
    )
    heard_s = time.monotonic() - spoke_at
    await playing
    during = len(await visitor.transcript())
    await visitor.say("I would like to order a birthday cake")
    await staff.wait_for_timeout(3000)
    assert [s for s in (await visitor.transcript())[during:] if s.speaker == "agent"] == []
    return heard_s


async def assert_stored_in_order(settings: Settings, room: str) -> None:
    facts = await stored_call(settings, room, TENANT, until=lambda f: f.path[-1:] == ("goodbye",))
    assert facts.path[-3:] == ("human_handoff", "after_handoff", "goodbye")
    turns = await stored_turns(settings, facts.id)
    speakers = [speaker for speaker, _ in turns]
    asked = next(i for i, (s, t) in enumerate(turns) if s == "caller" and "person" in t.lower())
    human = speakers.index("human")
    resumed = next(i for i, (_, t) in enumerate(turns) if "Thanks for holding" in t)
    assert asked < human < resumed, turns
    # between the introducing line and the hand-back the agent said nothing
    introduced = next(i for i, (_, t) in enumerate(turns) if "member of our team" in t)
    assert "agent" not in speakers[introduced + 1 : resumed], turns
    assert "caller" in speakers[introduced + 1 : resumed], turns  # still recorded


async def test_a_person_takes_the_call_and_hands_it_back(
    stack: LocalStack, stack_settings: Settings, browser: Browser, artifacts: Path
) -> None:
    origin = f"http://127.0.0.1:{stack.ports.dispatcher_http}"
    await add_staff_key(database_url(stack_settings), TENANT, STAFF_EMAIL)
    staff = await console(browser, origin)
    context = await visitor_context(browser, origin)
    visitor = WidgetVisitor(await context.new_page())
    await visitor.open(f"{origin}/w/{TENANT}/{CAMPAIGN}")
    await visitor.press_call()
    assert await visitor.wait_state("in-call", "failed", timeout=60) == "in-call"
    room = str(await visitor.page.evaluate("window.frontdesk.call.room.name"))
    assert await visitor.agent_turn_done(0, timeout=90), await visitor.transcript()

    card, shown_s = await ask_for_a_person(visitor, staff)
    await staff.screenshot(path=artifacts / "console-request.png", full_page=True)
    joined_s = await take(card, staff, visitor)
    await staff.screenshot(path=artifacts / "console-in-call.png", full_page=True)
    heard_s = await person_and_caller_talk(staff, visitor)

    before = len(await visitor.transcript())
    await staff.click("#hand-back")
    assert await visitor.agent_turn_done(before, timeout=45)
    assert "Thanks for holding" in await visitor.agent_said_since(before)
    await visitor.say("no")
    assert await visitor.wait_state("ended", "failed", timeout=45) == "ended"
    await assert_stored_in_order(stack_settings, room)
    print(
        f"\nrequest shown {shown_s:.2f} s after the ask; console in the room {joined_s:.2f} s "
        f"after take; the person heard {heard_s:.2f} s after starting to speak"
    )
    await context.close()
    await staff.context.close()
