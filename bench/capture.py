"""Cost of capturing a call: what the recorder costs the call's event loop, how fast its
writer stores turns, and how fast the outbox can be claimed.

Usage: ``uv run python bench/capture.py [--turns 2000] [--database URL]``

Uses a fresh SQLite file unless ``--database`` names a Postgres database (migrated here).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from agent.capture.ops import encode
from agent.capture.recorder import CallRecorder
from agent.record.turn import TurnRecord
from agent.store import Store, normalize_url
from agent.store.calls import NewCall
from agent.store.migrate import upgrade
from agent.store.outbox import NewNotification, claim_due, enqueue
from agent.store.usage import load_prices


async def bench_recorder(store: Store, data_dir: Path, turns: int) -> tuple[float, float]:
    """Microseconds per queued turn on the loop, and turns stored per second."""
    call = NewCall(
        id=f"bench-{time.time_ns()}",
        tenant="bench",
        source="web",
        room="bench",
        started_at=datetime.now(UTC),
    )
    recorder = CallRecorder(store, call, data_dir=data_dir, prices=load_prices())
    recorder.start()
    start = time.perf_counter()
    for n in range(turns):
        recorder.add_turn(TurnRecord("caller", f"turn {n}", datetime.now(UTC)))
    queued = time.perf_counter() - start
    stored = await recorder.close(ended_at=datetime.now(UTC), status="completed")
    if not stored:
        raise SystemExit("the store did not take the turns")
    return queued / turns * 1e6, turns / (time.perf_counter() - start)


def bench_queue_only(turns: int) -> float:
    """Baseline: microseconds to encode and queue the same turn record without writing it
    ahead to the spool (what the recorder cost before the spool became a write-ahead log)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    base = {"call_id": "bench", "tenant": "bench"}
    start = time.perf_counter()
    for n in range(turns):
        turn = TurnRecord("caller", f"turn {n}", datetime.now(UTC))
        record = {**base, "seq": n, "speaker": turn.speaker, "text": turn.text}
        queue.put_nowait(encode("turn", {**record, "started_at": turn.started_at}))
    return (time.perf_counter() - start) / turns * 1e6


async def bench_claims(store: Store, rows: int, batch: int) -> float:
    """Outbox rows claimed per second, ``batch`` at a time."""
    stamp = time.time_ns()
    async with store.transaction() as s:
        for n in range(rows):
            note = NewNotification(
                tenant="bench",
                call_id=None,
                channel="webhook",
                target="http://127.0.0.1/",
                idempotency_key=f"{stamp}-{n}",
            )
            await enqueue(s, note)
    start, claimed = time.perf_counter(), 0
    while claimed < rows:
        async with store.transaction() as s:
            got = await claim_due(s, limit=batch, worker_id="bench")
        if not got:
            break
        claimed += len(got)
    return claimed / (time.perf_counter() - start)


async def main(turns: int, database: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = normalize_url(database or f"sqlite:///{Path(tmp) / 'bench.db'}")
        await asyncio.to_thread(upgrade, url)
        store = Store.from_url(url)
        try:
            per_turn_us, per_s = await bench_recorder(store, Path(tmp), turns)
            baseline_us = bench_queue_only(turns)
            claims = await bench_claims(store, 1000, 10)
        finally:
            await store.close()
    print(f"store: {url.get_backend_name()}")
    print(
        f"record a turn (on the call's loop, written ahead to the spool): {per_turn_us:.1f} us"
        f"   baseline, encode and queue only: {baseline_us:.1f} us"
    )
    print(f"turns stored: {per_s:.0f}/s")
    print(f"outbox rows claimed, 10 at a time: {claims:.0f}/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--database", default=None, help="a Postgres URL (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.turns, args.database))
