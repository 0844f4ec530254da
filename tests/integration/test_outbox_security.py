"""What an outbox or recordings row may make the service do (real SQLite and Postgres,
a real webhook endpoint, ``frontdesk outbox run`` and ``frontdesk retention run`` as
processes).

An outbox row only names a webhook: its secret comes from its tenant's own
``tenant.yaml``, never from the row, and a URL the tenant does not list is not sent.
A webhook without a secret is refused unless the tenant allows it unsigned. Retention
deletes only files under the recordings root it owns."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from agent.postcall.messages import WebhookMessage
from agent.postcall.signing import SIGNATURE_HEADER, verify_signature
from agent.store import Store
from agent.store.calls import NewCall, start_call
from agent.store.outbox import NewNotification, enqueue
from agent.store.postcall import list_outbox
from agent.store.recordings import add_recording, for_call
from agent.store.tables import utcnow
from tests.postcall_support import WebhookSink

pytestmark = pytest.mark.integration

TENANT = """\
name: {name}
flow: demo_bakery
notifications:
  webhooks:
    - {{url: "{url}", secret_env: {env}}}
{extra}"""


def write_tenants(root: Path, hook_url: str) -> Path:
    tenants = root / "tenants"
    unsigned = f"    - {{url: '{hook_url}?unsigned', allow_unsigned: true}}\n"
    hooks = {
        "bakery": ("BAKERY_HOOK_SECRET", unsigned),
        "gym": ("GYM_HOOK_SECRET", f"    - {{url: '{hook_url}?nosecret'}}\n"),
    }
    for tenant, (env, extra) in hooks.items():
        (tenants / tenant).mkdir(parents=True)
        text = TENANT.format(name=tenant.title(), url=f"{hook_url}?{tenant}", env=env, extra=extra)
        (tenants / tenant / "tenant.yaml").write_text(text)
    return tenants


def note(tenant: str, url: str, key: str, secret_env: str | None) -> NewNotification:
    message = WebhookMessage(url=url, secret_env=secret_env, event="call.analyzed", body={"k": key})
    return NewNotification(
        tenant=tenant, call_id=None, channel="webhook", target=url, idempotency_key=key,
        payload=message.model_dump(mode="json"),
    )  # fmt: skip


async def frontdesk(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from agent.cli import main; main()",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out = (await asyncio.wait_for(proc.communicate(), 120))[0].decode()
    assert "Traceback" not in out, out
    return out


def cli_env(store_url: str, data_dir: Path, tenants: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(data_dir),
        "FRONTDESK_TENANTS_DIR": str(tenants),
        "FRONTDESK_LOG_LEVEL": "WARNING",
        "BAKERY_HOOK_SECRET": "bakery-secret",
        "GYM_HOOK_SECRET": "gym-secret",
    }
    if not store_url.startswith("sqlite"):
        env["DATABASE_URL"] = store_url
    return env


async def test_a_row_cannot_choose_the_secret_or_the_url_it_is_signed_for(
    store_url: str, tmp_path: Path
) -> None:
    data_dir = Path(store_url.removeprefix("sqlite:///")).parent if "sqlite" in store_url else None
    data_dir = data_dir or tmp_path / "data"
    store = Store.from_url(store_url)
    try:
        async with WebhookSink() as hook:
            tenants = write_tenants(tmp_path, hook.url)
            notes = [
                # the bakery's own webhook, but the row names the gym's secret
                note("bakery", f"{hook.url}?bakery", "forged-secret", "GYM_HOOK_SECRET"),
                # a URL the bakery never configured, signed with the gym's secret
                note("bakery", f"{hook.url}?evil", "forged-url", "GYM_HOOK_SECRET"),
                # the gym's webhook without a secret: refused unless allowed
                note("gym", f"{hook.url}?nosecret", "unsigned-refused", None),
                # the bakery allows this one unsigned
                note("bakery", f"{hook.url}?unsigned", "unsigned-allowed", None),
            ]
            async with store.transaction() as s:
                for n in notes:
                    await enqueue(s, n)
            await frontdesk(cli_env(store_url, data_dir, tenants), "outbox", "run")
        by_key = {h["Frontdesk-Idempotency-Key"]: (h, body) for h, body, _ in hook.received}
        assert sorted(by_key) == ["forged-secret", "unsigned-allowed"]
        headers, body = by_key["forged-secret"]
        assert verify_signature("bakery-secret", headers[SIGNATURE_HEADER], body)
        assert not verify_signature("gym-secret", headers[SIGNATURE_HEADER], body)
        assert SIGNATURE_HEADER not in by_key["unsigned-allowed"][0]
        async with store.transaction() as s:
            rows = {r.idempotency_key: r for r in await list_outbox(s)}
        assert rows["forged-url"].status == "failed"
        assert "not one of tenant 'bakery'" in (rows["forged-url"].last_error or "")
        assert rows["unsigned-refused"].status == "failed"
        assert "allow_unsigned" in (rows["unsigned-refused"].last_error or "")
    finally:
        await store.close()


async def test_retention_deletes_only_under_its_recordings_root(
    store_url: str, tmp_path: Path
) -> None:
    data_dir = Path(store_url.removeprefix("sqlite:///")).parent if "sqlite" in store_url else None
    data_dir = data_dir or tmp_path / "data"
    root = data_dir / "recordings"
    (root / "t1").mkdir(parents=True)
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    (root / "t1" / "link.ogg").symlink_to(outside)
    kept = root / "t1" / "c1.ogg"
    kept.write_bytes(b"OggS")
    uris = [str(outside), f"{root}/t1/../../../precious.txt", str(root / "t1" / "link.ogg")]
    store = Store.from_url(store_url)
    try:
        async with store.transaction() as s:
            await start_call(
                s, NewCall(id="c1", tenant="t1", source="web", room="r", started_at=utcnow())
            )
            for uri in [*uris, str(kept)]:
                await add_recording(
                    s, call_id="c1", tenant="t1", storage="local", uri=uri, format="ogg",
                    channels=2, size=1, expires_at=utcnow() - timedelta(days=1),
                )  # fmt: skip
        out = await frontdesk(
            cli_env(store_url, data_dir, tmp_path / "tenants"), "retention", "run"
        )
        assert outside.read_text() == "keep me", out
        assert not kept.exists()
        async with store.transaction() as s:
            left = sorted(r.uri for r in await for_call(s, "c1"))
        assert left == sorted(uris)  # refused ones stay, for a person to look at
        assert "deleted 1 expired recording(s)" in out
        assert "3 recording(s) outside" in out, out
    finally:
        await store.close()
