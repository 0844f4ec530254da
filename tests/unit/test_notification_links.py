"""Every link the project sends resolves: the post-call notifications of a stored call
(the owner's summary, the customer's confirmation, the webhook body), rendered with
``FRONTDESK_PUBLIC_URL`` set, hold no URL of the dispatcher that it answers with 404.
The owner learns how to see the call (``frontdesk calls show <id>``) instead of a link
to a call page the dispatcher does not have."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from agent.config import load_settings
from agent.control.app import create_app
from agent.postcall.pipeline import process_call
from agent.store.outbox import for_call
from tests.postcall_support import store_call, write_tenant
from tests.stores import sqlite_store

pytestmark = pytest.mark.unit

PUBLIC = "https://desk.example"
URL = re.compile(r"https?://[^\s\"'<>)]+")


async def test_no_notification_links_to_a_missing_page(tmp_path: Path) -> None:
    settings = load_settings(
        check_keys=False,
        tenants_dir=write_tenant(tmp_path),
        public_url=PUBLIC,
        data_dir=tmp_path / "var",
        livekit_url="ws://127.0.0.1:9",
    )
    async with sqlite_store(tmp_path / "calls.db") as store:
        await store_call(store, slots={"items": "a birthday cake", "email": "anna@example.com"})
        await process_call("call-1", settings=settings, store=store, deliver=False)
        async with store.transaction() as s:
            rows = await for_call(s, "call-1")
    sent = [json.dumps(row.payload) for row in rows]
    ours = [u for text in sent for u in URL.findall(text) if u.startswith(PUBLIC)]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        broken = [u for u in ours if client.get(urlsplit(u).path).status_code == 404]
    assert broken == [], f"notifications link to pages the dispatcher does not have: {broken}"
    owner = [row.payload for row in rows if row.template == "owner_summary"]
    assert len(owner) == 1 and "frontdesk calls show call-1" in str(owner[0]["text"])
