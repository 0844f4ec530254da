"""The call widget in a real browser: Debian's headless Chromium opens a campaign's widget
served by the real stack, and a web visitor books a table by voice; the page shows both
sides' words, and the store holds the call (source web, the campaign) and its lead. The
error states (a refused microphone, an unreachable call service, an agent that never
answers, in the widget embedded on another site) are shown to the visitor.

The visitor's microphone is real getUserMedia on Chromium's fake device, mixed with eSpeak
NG clips said on cue (see tests/browser.py). Screenshots go to
``$FRONTDESK_TEST_ARTIFACTS`` (default ``var/test-artifacts/widget/``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Browser, Page

from agent.config import Settings
from agent.demo.script import BOOKING_SCRIPT
from agent.stack import LocalStack, StackPorts, free_port
from agent.store.analyses import lead_for_call
from agent.store.engine import Store
from agent.store.tables import Lead
from agent.store.visits import CampaignStats, campaign_stats
from tests.browser import WidgetVisitor, visitor_context
from tests.callers import booked_table_slots, stored_call

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TENANT, CAMPAIGN = "crumb-and-co", "crumb-website"  # answers with flows/receptionist.yaml


ARTIFACTS = "widget"  # screenshots: the conftest's `artifacts` folder


def origin_of(stack: LocalStack) -> str:
    return f"http://127.0.0.1:{stack.ports.dispatcher_http}"


async def widget(browser: Browser, stack: LocalStack, *, microphone: bool = True) -> Page:
    origin = origin_of(stack)
    context = await visitor_context(browser, origin, microphone=microphone)
    page = await context.new_page()
    await WidgetVisitor(page).open(f"{origin}/w/{TENANT}/{CAMPAIGN}")
    return page


async def test_a_visitor_books_a_table_in_the_widget(
    stack: LocalStack, stack_settings: Settings, browser: Browser, artifacts: Path
) -> None:
    page = await widget(browser, stack)
    visitor = WidgetVisitor(page)
    call_button = page.get_by_role("button", name="Call Crumb & Co")
    assert await call_button.is_visible()
    await page.screenshot(path=artifacts / "widget-idle.png")
    await call_button.focus()
    await page.keyboard.press("Enter")  # the keyboard reaches the call too
    assert await visitor.wait_state("in-call", "failed", timeout=60) == "in-call"
    room = str(await page.evaluate("window.frontdesk.call.room.name"))
    assert await visitor.agent_turn_done(0, timeout=90), await visitor.transcript()
    await page.screenshot(path=artifacts / "widget-in-call.png")

    conversation = await visitor.converse(BOOKING_SCRIPT)
    assert await visitor.wait_state("ended", "failed", timeout=30) == "ended"
    await page.screenshot(path=artifacts / "widget-call-ended.png", full_page=True)

    shown = await visitor.transcript()
    agent_words = " ".join(s.text for s in shown if s.speaker == "agent")
    heard = [s.text.lower() for s in shown if s.speaker == "visitor" and s.final]
    assert "Good" in agent_words and "How can I help?" in agent_words
    assert "booked in, Peter Smith" in agent_words, (agent_words, conversation)
    assert {"book a table", "four", "my name is peter smith", "yes"} <= set(heard), heard
    assert await page.get_by_role("status").inner_text() == "Call ended"

    facts = await stored_call(
        stack_settings, room, TENANT, until=lambda f: f.path[-1:] == ("booking_made",)
    )
    assert (facts.source, facts.campaign) == ("web", CAMPAIGN)
    assert facts.slots == booked_table_slots(facts.started_at), conversation
    lead = await _lead_of(stack_settings, facts.id)
    assert (lead.campaign, lead.phone, lead.name) == (CAMPAIGN, "+442094601234", "Peter Smith")
    stats = await _stats(stack_settings)
    assert stats.visits >= 1 and stats.calls >= 1 and stats.leads >= 1
    await page.context.close()


async def test_a_refused_microphone_is_explained(
    stack: LocalStack, browser: Browser, artifacts: Path
) -> None:
    page = await widget(browser, stack, microphone=False)
    sessions: list[str] = []
    page.on("request", lambda r: sessions.append(r.url) if "/v1/web/sessions" in r.url else None)
    visitor = WidgetVisitor(page)
    await visitor.press_call()
    assert await visitor.wait_state("failed", "in-call", timeout=30) == "failed"
    alert = page.get_by_role("alert")
    assert "Microphone access was refused" in await alert.inner_text()
    assert await page.get_attribute("#error", "data-code") == "microphone-denied"
    assert await page.evaluate("window.__visitor.requests") == 1  # it was really asked
    assert sessions == []  # no room is opened for a visitor without a microphone
    assert await page.get_by_role("button", name="Call Crumb & Co").inner_text() == "Call again"
    await page.screenshot(path=artifacts / "widget-microphone-refused.png")
    await page.context.close()


async def test_an_unreachable_call_service_is_explained(
    stack: LocalStack, browser: Browser, artifacts: Path
) -> None:
    page = await widget(browser, stack)
    await page.route("**/v1/web/sessions", lambda route: route.abort("connectionrefused"))
    visitor = WidgetVisitor(page)
    await visitor.press_call()
    assert await visitor.wait_state("failed", "in-call", timeout=30) == "failed"
    assert await page.get_attribute("#error", "data-code") == "service-unreachable"
    assert "can't reach the call service" in await page.get_by_role("alert").inner_text()
    await page.screenshot(path=artifacts / "widget-service-unreachable.png")
    await page.context.close()


HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Crumb & Co</title></head><body>
<h1>Crumb &amp; Co, the bakery's own site</h1><p>Fresh bread every morning.</p>
<script src="{dispatcher}/web/embed.js" defer data-tenant="crumb-and-co"
        data-campaign="crumb-website" data-label="Talk to us"></script></body></html>"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def agentless(
    stack_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[LocalStack, str]]:
    """A stack whose agent never comes (no worker), and a business site on another origin
    that embeds its widget (allowed by FRONTDESK_CORS_ORIGINS)."""
    site_port = free_port()
    site = f"http://127.0.0.1:{site_port}"
    env = {
        "FRONTDESK_TENANTS_DIR": str(stack_settings.tenants_dir),
        "FRONTDESK_FLOWS_DIR": str(stack_settings.flows_dir),
        "FRONTDESK_DATA_DIR": str(tmp_path_factory.mktemp("agentless-data")),
        "FRONTDESK_WEB_AGENT_TIMEOUT": "6",
        "FRONTDESK_CORS_ORIGINS": site,
    }
    local = LocalStack(
        stack_settings,
        ports=StackPorts.ephemeral(),
        log_dir=tmp_path_factory.mktemp("agentless-logs"),
        with_worker=False,
        extra_env=env,
    )
    async with local:
        html = HOST_PAGE.format(dispatcher=origin_of(local))

        async def home(_: web.Request) -> web.Response:
            return web.Response(text=html, content_type="text/html")

        app = web.Application()
        app.router.add_get("/", home)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", site_port).start()
        try:
            yield local, site
        finally:
            await runner.cleanup()


async def test_the_embedded_widget_says_when_the_agent_never_answers(
    agentless: tuple[LocalStack, str], browser: Browser, artifacts: Path
) -> None:
    _local, site = agentless
    # a framed page's microphone is asked of the top-level site (permission delegation)
    context = await visitor_context(browser, site)
    page = await context.new_page()
    await page.goto(site)
    await page.get_by_role("button", name="Talk to us").click()
    frame = page.frame_locator("iframe[title='Talk to us']")
    call_button = frame.get_by_role("button", name="Call Crumb & Co")
    await call_button.click()
    started = time.monotonic()
    alert = frame.get_by_role("alert")
    await alert.wait_for(state="visible", timeout=60_000)
    waited = time.monotonic() - started
    assert "The assistant did not answer" in await alert.inner_text()
    assert waited >= 5, "the widget gave up before FRONTDESK_WEB_AGENT_TIMEOUT"
    assert await frame.locator("#error").get_attribute("data-code") == "agent-unreachable"
    await page.screenshot(path=artifacts / "widget-agent-unreachable-embedded.png")
    await context.close()


async def _lead_of(settings: Settings, call_id: str, timeout: float = 90) -> Lead:
    """The call's lead, once the worker's post-call pipeline has scored it."""
    store = Store.open(settings)
    deadline = time.monotonic() + timeout
    try:
        while True:
            async with store.transaction() as s:
                lead = await lead_for_call(s, call_id)
            if lead is not None:
                return lead
            assert time.monotonic() < deadline, f"no lead for {call_id}"
            await asyncio.sleep(0.5)
    finally:
        await store.close()


async def _stats(settings: Settings) -> CampaignStats:
    store = Store.open(settings)
    try:
        async with store.transaction() as s:
            return await campaign_stats(s, TENANT, CAMPAIGN)
    finally:
        await store.close()
