"""A web visitor in headless Chromium (Debian's, driven by Playwright), for the widget's
browser tests and ``bench/widget.py``.

The browser's microphone is real getUserMedia on Chromium's fake capture device (a
silent WAV), mixed in the page with eSpeak NG clips that the visitor speaks on cue
(``visitor_mic.js``). Like the demo's simulated caller, the visitor answers the question
it is asked: it waits until the agent has spoken and gone quiet, reads the agent's words
from the transcript the page shows, and says its next script line, or the same line
again when the agent asked the same question again (:class:`agent.demo.script.ScriptCursor`).
"""

from __future__ import annotations

import asyncio
import base64
import io
import os
import time
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from playwright.async_api import Browser, BrowserContext, Page, Playwright, ViewportSize

from agent.demo.caller import CALLER_VOICE
from agent.demo.script import Line, ScriptCursor
from agent.providers.espeak import asynthesize_pcm

CHROMIUM = Path("/usr/bin/chromium")
# what GUIDE.md asks of a headless Chromium on a closed network
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
MIC_SCRIPT = Path(__file__).with_name("visitor_mic.js")
PHONE: ViewportSize = {"width": 390, "height": 780}  # a phone's screen, in CSS pixels
LIVE_STATES = ("microphone", "connecting", "waiting", "in-call")


def silent_wav(path: Path, seconds: float = 2.0, rate: int = 48000) -> Path:
    """The fake capture device's file: Chromium loops it."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return path


async def launch(playwright: Playwright, fake_audio: Path) -> Browser:
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError("Debian's chromium is not installed: run .ci/bootstrap")
    return await playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={fake_audio}"],
    )


async def visitor_context(
    browser: Browser, origin: str, *, microphone: bool = True
) -> BrowserContext:
    """A fresh profile on a phone-sized screen; ``microphone=False``: the visitor refuses
    the permission prompt."""
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2)
    if microphone:
        await context.grant_permissions(["microphone"], origin=origin)
    await context.add_init_script(path=str(MIC_SCRIPT))
    return context


@dataclass(frozen=True)
class Said:
    speaker: str  # agent | visitor
    text: str
    final: bool


@dataclass
class Conversation:
    lines_said: list[tuple[str, int]] = field(default_factory=list)  # (line, repeat)
    agent_replies: list[str] = field(default_factory=list)


async def wav_of(text: str) -> str:
    """``text`` spoken by the demo caller's eSpeak NG voice, as a base64 WAV."""
    pcm, rate = await asynthesize_pcm(text, CALLER_VOICE)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, dtype=np.int16).tobytes())
    return base64.b64encode(out.getvalue()).decode()


class WidgetVisitor:
    """One visitor on one widget page."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def open(self, url: str) -> None:
        await self.page.goto(url)
        await self.page.wait_for_function("() => window.frontdesk !== undefined")

    async def state(self) -> str:
        return str(await self.page.evaluate("window.frontdesk.call.state"))

    async def wait_state(self, *states: str, timeout: float = 60) -> str:
        await self.page.wait_for_function(
            "states => states.includes(window.frontdesk.call.state)",
            arg=list(states),
            timeout=timeout * 1000,
        )
        return await self.state()

    async def press_call(self) -> None:
        await self.page.get_by_role("button", name="Call", exact=False).first.click()

    async def transcript(self) -> list[Said]:
        items = await self.page.eval_on_selector_all(
            "#transcript li",
            "els => els.map(e => [e.className, e.querySelector('.said').textContent,"
            " e.dataset.final === 'true'])",
        )
        return [Said(str(s), str(t), bool(f)) for s, t, f in items]

    async def agent_said_since(self, index: int) -> str:
        return " ".join(s.text for s in (await self.transcript())[index:] if s.speaker == "agent")

    async def agent_turn_done(
        self, since: int, *, quiet_s: float = 1.2, timeout: float = 45
    ) -> bool:
        """Wait until the agent has said something after transcript item ``since`` (final),
        then been silent for ``quiet_s`` and is no longer speaking; False on timeout or
        when the call ended."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.state() not in LIVE_STATES:
                return False
            new = (await self.transcript())[since:]
            spoke = any(s.speaker == "agent" and s.final for s in new)
            quiet = await self.page.evaluate(
                """q => {
                    const f = window.frontdesk;
                    const speaking = document.getElementById('agent-state').dataset.state;
                    return !f.agentSpeaking && speaking !== 'speaking'
                        && performance.now() - f.agentAudioChangedAt >= q * 1000;
                }""",
                quiet_s,
            )
            if spoke and quiet:
                return True
            await asyncio.sleep(0.1)
        return False

    async def say(self, text: str) -> float:
        """Speak ``text`` into the page's microphone; returns when it has played."""
        return float(
            await self.page.evaluate("b64 => window.__visitor.say(b64)", await wav_of(text))
        )

    async def converse(self, script: Sequence[Line]) -> Conversation:
        """After the greeting: answer each question with the script's line for it."""
        done = Conversation()
        cursor = ScriptCursor(script)
        while (line := cursor.line) is not None and await self.state() == "in-call":
            before = len(await self.transcript())
            await self.say(line.text)
            done.lines_said.append((line.text, cursor.repeats))
            await self.agent_turn_done(before)
            reply = await self.agent_said_since(before)
            done.agent_replies.append(reply)
            cursor.heard(reply)
        return done

    async def greeting_delay_s(self) -> float | None:
        """From the click on "call" to the first sound of the agent, in the page's clock."""
        delay = await self.page.evaluate(
            "(f => f.firstAgentAudioAt === null ? null : f.firstAgentAudioAt - f.clickedAt)"
            "(window.frontdesk)"
        )
        return None if delay is None else float(delay) / 1000
