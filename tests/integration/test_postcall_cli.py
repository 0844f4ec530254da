"""The commands on an embedded SQLite store: ``postcall replay`` analyses a stored call,
a notification with no email transport fails for good and ``outbox list`` shows why,
``outbox retry`` makes it due again and ``outbox run`` then delivers it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.config import load_settings
from agent.stack.mail import MailSink
from agent.store import Store
from agent.store.migrate import ensure_embedded_schema
from tests.postcall_support import store_call, write_tenant

pytestmark = pytest.mark.integration


def _store_a_call(data_dir: Path, tenants: Path) -> None:
    async def go() -> None:
        store = Store.open(load_settings(check_keys=False, data_dir=data_dir, tenants_dir=tenants))
        try:
            await ensure_embedded_schema(store.engine.url)
            await store_call(store)
        finally:
            await store.close()

    asyncio.run(go())


def test_replay_list_retry_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = write_tenant(tmp_path)
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(tenants))
    # the commands set up logging on stderr; CliRunner's stderr closes after each run
    monkeypatch.setattr("agent.postcall.cli.setup_logging", lambda settings: None)
    _store_a_call(tmp_path / "data", tenants)
    runner = CliRunner()

    replay = runner.invoke(app, ["postcall", "replay", "call-1", "--json"])
    assert replay.exit_code == 0, replay.output
    report = json.loads(replay.output.strip().splitlines()[-1])
    assert (report["method"], report["call_type"], report["failed"]) == (
        "deterministic",
        "order",
        2,
    )
    assert report["lead"] == {"contact": "anna@example.com", "score": 65, "priority": "high"}

    listed = runner.invoke(app, ["outbox", "list", "--status", "failed", "--json"])
    rows = [json.loads(line) for line in listed.output.splitlines() if line.startswith("{")]
    assert sorted(r["template"] for r in rows) == ["customer_confirmation", "owner_summary"]
    assert all("FRONTDESK_SMTP_HOST" in r["last_error"] for r in rows)

    again = runner.invoke(app, ["postcall", "replay", "call-1", "--json"])
    assert json.loads(again.output.strip().splitlines()[-1])["enqueued"] == []

    retry = runner.invoke(app, ["outbox", "retry"])
    assert "requeued 2" in retry.output
    with MailSink(tmp_path / "mail") as sink:
        monkeypatch.setenv("FRONTDESK_SMTP_HOST", sink.host)
        monkeypatch.setenv("FRONTDESK_SMTP_PORT", str(sink.port))
        ran = runner.invoke(app, ["outbox", "run"])
        assert "delivered 2, to retry 0, failed 0" in ran.output, ran.output
        assert len(sink.messages()) == 2
