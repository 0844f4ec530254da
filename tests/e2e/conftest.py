"""Fixtures of the browser tests: one headless Chromium per module, with a fake
microphone, and a folder for the module's screenshots."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from agent.config import ROOT
from tests.browser import launch, silent_wav


@pytest.fixture(scope="module")
def artifacts(request: pytest.FixtureRequest) -> Path:
    """``$FRONTDESK_TEST_ARTIFACTS/<name>`` (default ``var/test-artifacts``), the name the
    module's ``ARTIFACTS`` gives (else its own, without ``test_``)."""
    name = getattr(request.module, "ARTIFACTS", request.path.stem.removeprefix("test_"))
    folder = Path(os.environ.get("FRONTDESK_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))
    folder = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Browser]:
    silence = silent_wav(tmp_path_factory.mktemp("audio") / "silence.wav")
    async with async_playwright() as playwright:
        chromium = await launch(playwright, silence)
        yield chromium
        await chromium.close()
