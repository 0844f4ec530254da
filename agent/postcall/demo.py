"""What ``frontdesk demo`` shows after its call: the stored call, its analysis and lead,
and the owner email caught by a local SMTP sink (its ``.eml`` path).

The demo starts the sink before the stack (:func:`demo_mail_sink`) and hands the worker
its address through the environment, so the worker's own post-call pipeline delivers
into it; :func:`wait_for_postcall` then waits for the pipeline's results in the store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..stack.mail import MailSink
from ..store import Store
from ..store.analyses import analyses_for_call, lead_for_call
from ..store.migrate import ensure_embedded_schema
from ..store.outbox import for_call
from ..store.postcall import call_id_for_room

SETTLED = frozenset({"delivered", "failed"})


@dataclass(frozen=True, kw_only=True)
class DemoPostcall:
    call_id: str
    analysis: str | None  # "deterministic analysis: order, sentiment +0.20"
    lead: str | None  # "anna@example.com: 35 (medium)"
    notifications: tuple[str, ...]  # "email owner_summary -> owner@...: delivered"
    owner_email: Path | None

    @property
    def ok(self) -> bool:
        return self.analysis is not None and self.owner_email is not None

    def lines(self) -> list[str]:
        out = [f"stored call {self.call_id}", f"  {self.analysis or 'no analysis yet'}"]
        out.append(f"  lead {self.lead}" if self.lead else "  no lead (the caller left no contact)")
        out += [f"  {n}" for n in self.notifications]
        out.append(f"  owner email: {self.owner_email or 'not received'}")
        return out


@contextmanager
def demo_mail_sink(settings: Settings) -> Iterator[tuple[MailSink, dict[str, str]]]:
    """A local SMTP sink under the data dir, and the environment that points the
    worker's email channel at it."""
    with MailSink(settings.data_dir / "demo-mail") as sink:
        yield sink, {"FRONTDESK_SMTP_HOST": sink.host, "FRONTDESK_SMTP_PORT": str(sink.port)}


def notification_settled(status: str, attempts: int) -> bool:
    """Delivered or failed for good, or waiting for a retry after a failed attempt; a
    claimed notification (``sending``) is still in flight, so it is not settled yet."""
    return status in SETTLED or (status == "pending" and attempts > 0)


async def _snapshot(store: Store, room: str, sink: MailSink) -> tuple[DemoPostcall | None, bool]:
    async with store.transaction() as s:
        call_id = await call_id_for_room(s, room)
        if call_id is None:
            return None, False
        analyses = await analyses_for_call(s, call_id)
        lead = await lead_for_call(s, call_id)
        rows = await for_call(s, call_id)
    latest = analyses[-1] if analyses else None
    analysis = None
    if latest is not None:
        analysis = (
            f"{latest.method} analysis: {latest.call_type or 'no call type'}, "
            f"sentiment {latest.sentiment or 0:+.2f}"
        )
    notes = tuple(
        f"{r.channel} {r.template or 'call.analyzed'} -> {r.target}: {r.status}"
        + (f" ({r.last_error})" if r.last_error and r.status != "delivered" else "")
        for r in rows
    )
    owners = {r.target for r in rows if r.template == "owner_summary"}
    emails = [p for p in sink.messages() if any(p.name.endswith(f"-{o}.eml") for o in owners)]
    settled = latest is not None and all(notification_settled(r.status, r.attempts) for r in rows)
    result = DemoPostcall(
        call_id=call_id,
        analysis=analysis,
        lead=None if lead is None else f"{lead.contact_key}: {lead.score} ({lead.priority})",
        notifications=notes,
        owner_email=emails[-1] if emails else None,
    )
    return result, settled


async def wait_for_postcall(
    settings: Settings, room: str, sink: MailSink, *, timeout_s: float = 60
) -> DemoPostcall | None:
    """Poll the store until the worker's post-call pipeline has settled for the call held
    in ``room`` (or ``timeout_s`` passes); None when no call was stored for it."""
    store = Store.open(settings)
    await ensure_embedded_schema(store.engine.url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            result, settled = await _snapshot(store, room, sink)
            if settled or time.monotonic() > deadline:
                return result
            await asyncio.sleep(0.5)
    finally:
        await store.close()
