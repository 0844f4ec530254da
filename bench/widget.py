"""Time to the greeting: from a web visitor's click on "call" to the first sound of the
agent's greeting in the browser, beside the same figure for the simulated caller.

    uv run python bench/widget.py [--runs 5] [--tenant crumb-and-co --campaign crumb-website]

One local stack (livekit-server, dispatcher, worker) on free ports serves both. Each
browser run opens the widget in a fresh profile of Debian's headless Chromium, clicks
"call" (microphone prompt, session request: room, dispatch and token; join, publish) and
waits for the page's level meter to hear the agent; then hangs up. Each simulated-caller
run (the demo's caller, the baseline) dispatches the agent through livekit-api, joins
and waits for its ear's first voiced frame. Both clocks start at the visitor's action and
stop at the first agent audio the visitor receives; the runs alternate, so both see the
same machine load. Medians and spreads are printed side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import Browser, async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livekit import api

from agent.config import Settings, load_settings
from agent.control.dispatch import livekit_api
from agent.demo.call import dial
from agent.stack import LocalStack, StackPorts
from tests.browser import WidgetVisitor, launch, silent_wav, visitor_context


async def browser_run(browser: Browser, origin: str, tenant: str, campaign: str) -> float:
    context = await visitor_context(browser, origin)
    try:
        page = await context.new_page()
        visitor = WidgetVisitor(page)
        await visitor.open(f"{origin}/w/{tenant}/{campaign}")
        await visitor.press_call()
        await page.wait_for_function(
            "() => window.frontdesk.firstAgentAudioAt !== null", timeout=90_000
        )
        delay = await visitor.greeting_delay_s()
        assert delay is not None
        await page.get_by_role("button", name="Hang up").click()
        await visitor.wait_state("ended", "failed", timeout=30)
        return delay
    finally:
        await context.close()


async def caller_run(settings: Settings, url: str, tenant: str) -> float:
    started = time.time()
    async with dial(settings, url, tenant, source="web") as (caller, _room):
        deadline = started + 90
        while not caller.ear_active and not caller.heard:
            if time.time() > deadline:
                raise TimeoutError("the simulated caller heard no greeting in 90 s")
            await asyncio.sleep(0.01)
        return time.time() - started


async def rooms_closed(settings: Settings, timeout: float = 90) -> None:
    """Wait until the last run's room is gone, so its agent job (and its post-call
    pipeline) holds no worker capacity and no CPU while the next run is timed."""
    lkapi = livekit_api(settings)
    try:
        deadline = time.monotonic() + timeout
        while (await lkapi.room.list_rooms(api.ListRoomsRequest())).rooms:
            if time.monotonic() > deadline:
                raise TimeoutError("the last run's room did not close in 90 s")
            await asyncio.sleep(0.5)
    finally:
        await lkapi.aclose()


def describe(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return f"median {statistics.median(ms):6.0f} ms   min {ms[0]:6.0f}   max {ms[-1]:6.0f}"


async def main(runs: int, tenant: str, campaign: str) -> None:
    settings = load_settings(check_keys=False)
    work = Path(tempfile.mkdtemp(prefix="frontdesk-bench-widget-"))
    env = {"FRONTDESK_DATA_DIR": str(work / "data"), "FRONTDESK_WEB_RATE_LIMIT": "100/minute"}
    ports = StackPorts.ephemeral()
    async with LocalStack(settings, ports=ports, log_dir=work / "logs", extra_env=env) as stack:
        origin = f"http://127.0.0.1:{ports.dispatcher_http}"
        url_settings = settings.model_copy(update={"livekit_url": stack.url})
        widget: list[float] = []
        caller: list[float] = []
        async with async_playwright() as playwright:
            browser = await launch(playwright, silent_wav(work / "silence.wav"))
            await caller_run(url_settings, stack.url, tenant)  # warm-up: the worker loads
            for n in range(runs):
                await rooms_closed(url_settings)
                widget.append(await browser_run(browser, origin, tenant, campaign))
                await rooms_closed(url_settings)
                caller.append(await caller_run(url_settings, stack.url, tenant))
                print(
                    f"run {n + 1}: widget {widget[-1] * 1000:5.0f} ms   "
                    f"simulated caller {caller[-1] * 1000:5.0f} ms",
                    flush=True,
                )
            await browser.close()
    print(f"\nclick 'call' -> first sound of the greeting, {runs} runs each ({tenant}):")
    print(f"  widget (headless Chromium)      {describe(widget)}")
    print(f"  simulated caller (baseline)     {describe(caller)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tenant", default="crumb-and-co")
    parser.add_argument("--campaign", default="crumb-website")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.tenant, args.campaign))
