"""Writing a call's records to the store, telling a refusal from an outage.

:meth:`RecordWriter.write` applies records in one transaction. When the store is
unavailable (down, unreachable, timed out) every record is handed back to wait in the
spool. When it refuses one (a value too long, a constraint), the records are written
one by one: each refused one is logged with the call id and kept in the dead-letter
file (``spool/dead-letter/<call>.jsonl``), and the rest of the call is stored. A dead
letter is never retried by itself; ``frontdesk db flush-spool`` reports them, and
``--retry-refused`` tries them again (after the cause is fixed).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import StoreRefused, StoreUnavailable
from ..store import Store
from ..store.ops import OP, apply, problem
from ..store.usage import PriceTable
from .ops import decode

logger = logging.getLogger("frontdesk.capture")

DEAD_LETTER = "dead-letter"


def dead_letter_dir(spool_dir: Path) -> Path:
    return spool_dir / DEAD_LETTER


@dataclass(frozen=True)
class Written:
    """What one write did: how many records were refused (now dead letters), and the
    records still to write (the store became unavailable), in order."""

    refused: int = 0
    pending: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeadLetterFile:
    """One call's refused records, as ``frontdesk db flush-spool`` reports them."""

    path: Path
    call_id: str
    ops: Counter[str]
    last_error: str

    @property
    def count(self) -> int:
        return sum(self.ops.values())


class DeadLetters:
    """The dead-letter files of one spool folder (blocking file I/O: use a thread)."""

    def __init__(self, spool_dir: Path) -> None:
        self.directory = dead_letter_dir(spool_dir)

    def add(self, call_id: str, line: str, error: StoreRefused) -> None:
        try:
            record: Any = decode(line)
        except ValueError:
            record = line
        entry = {
            "call_id": call_id,
            "refused_at": datetime.now(UTC).isoformat(),
            "error": str(error),
            "record": record,
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / f"{_file_name(call_id)}.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, separators=(",", ":")) + "\n")

    def files(self) -> list[DeadLetterFile]:
        found = []
        for path in sorted(self.directory.glob("*.jsonl")) if self.directory.is_dir() else []:
            entries = [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]
            if not entries:
                continue
            ops = Counter(_op(e.get("record")) for e in entries)
            call_id = str(entries[-1].get("call_id", path.stem))
            found.append(DeadLetterFile(path, call_id, ops, str(entries[-1].get("error", ""))))
        return found

    def take(self, path: Path) -> list[str]:
        """The records of one dead-letter file, removing it (to be written again)."""
        entries = [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]
        path.unlink()
        records = [e.get("record") for e in entries]
        return [r if isinstance(r, str) else json.dumps(r) for r in records if r is not None]


def _op(record: object) -> str:
    return str(record.get("op", "?")) if isinstance(record, dict) else "unreadable"


def _file_name(call_id: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in call_id).lstrip(".") or "call"


class RecordWriter:
    """Writes records of one or more calls to the store; see the module's docstring."""

    def __init__(
        self, store: Store, prices: PriceTable, dead: DeadLetters, *, timeout_s: float = 10.0
    ) -> None:
        self.store, self.prices, self.dead, self.timeout_s = store, prices, dead, timeout_s

    async def write(self, lines: Sequence[str]) -> Written:
        if not lines:
            return Written()
        try:
            await self._apply(lines)
            return Written()
        except StoreUnavailable:
            return Written(pending=list(lines))
        except StoreRefused:
            pass  # find which: write them one by one
        refused = 0
        for n, line in enumerate(lines):
            try:
                await self._apply([line])
            except StoreUnavailable:
                return Written(refused, list(lines[n:]))
            except StoreRefused as e:
                refused += 1
                await self._set_aside(line, e)
        return Written(refused)

    async def _apply(self, lines: Sequence[str]) -> None:
        try:
            await asyncio.wait_for(self._transaction(lines), timeout=self.timeout_s)
        except TimeoutError as e:
            raise StoreUnavailable(f"the store did not answer within {self.timeout_s:g} s") from e

    async def _transaction(self, lines: Sequence[str]) -> None:
        async with self.store.transaction() as s:
            for line in lines:
                try:
                    op = decode(line)
                except ValueError as e:
                    raise StoreRefused(f"not a record: {e}") from e
                try:
                    record = OP.validate_python(op)
                except ValidationError as e:
                    why = f"{op.get('op')!r} record: {problem(e)}"
                    raise StoreRefused(f"the store refused a malformed {why}") from e
                await apply(s, record, self.prices)

    async def _set_aside(self, line: str, error: StoreRefused) -> None:
        try:
            op = decode(line)
        except ValueError:
            op = {}
        call_id = str(op.get("call_id", "unknown"))
        logger.error(
            "store refused a record",
            extra={"call_id": call_id, "op": op.get("op"), "error": str(error)},
        )
        await asyncio.to_thread(self.dead.add, call_id, line, error)
