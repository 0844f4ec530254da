"""The local spool: one JSON-lines file per call, holding the writes the store could not
take yet. The live recorder holds an exclusive ``flock`` on its file, so recovery (at
the next recorder's start, or ``frontdesk db flush-spool``) never replays a live call;
a killed worker's lock dies with it."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Any

from ..store import Store
from ..store.usage import PriceTable
from .ops import apply, decode

logger = logging.getLogger("frontdesk.capture.spool")


def spool_dir(data_dir: Path) -> Path:
    return data_dir / "spool"


class SpoolFile:
    """A call's spool file, opened and locked for as long as the call is recorded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def open(self) -> None:
        """Open and lock the file (once). If a recovery unlinked it while we waited for the
        lock, lock a fresh one: records must never go to a file no one can find."""
        if self._file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the call
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                same = os.stat(self.path).st_ino == os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._file = handle
                return
            handle.close()

    def append(self, lines: list[str]) -> None:
        assert self._file is not None, "spool not open"
        self._file.write("".join(line + "\n" for line in lines))
        self._file.flush()
        os.fsync(self._file.fileno())

    def read(self) -> list[str]:
        assert self._file is not None, "spool not open"
        self._file.seek(0)
        return [line for line in self._file.read().splitlines() if line.strip()]

    def clear(self) -> None:
        assert self._file is not None, "spool not open"
        self._file.truncate(0)
        self._file.flush()

    def close(self) -> None:
        if self._file is None:
            return
        if self.path.stat().st_size == 0:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        self._file.close()
        self._file = None


def reject(spool_path: Path, line: str) -> None:
    """Set aside a record the store refuses (kept next to the spool for a person to read)."""
    with spool_path.with_suffix(".rejected").open("a", encoding="utf-8") as f:
        f.write(line + "\n")


async def replay(store: Store, lines: list[str], prices: PriceTable) -> None:
    """Apply spooled ops in order, in one transaction (each op is idempotent)."""
    async with store.transaction() as s:
        for line in lines:
            op: dict[str, Any] = decode(line)
            await apply(s, op, prices)


def _spool_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.jsonl")) if directory.is_dir() else []


def _lines(handle: IO[str]) -> list[str]:
    handle.seek(0)
    return [line for line in handle.read().splitlines() if line.strip()]


def _try_lock(path: Path) -> IO[str] | None:
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - closed by the caller
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


async def recover(store: Store, directory: Path, prices: PriceTable) -> list[str]:
    """Flush every spool file no live recorder holds. Returns the ids of the calls whose
    spool held their end (finalized now, so their post-call work is due). A file whose
    ops the store refuses stays for the next try (and is logged)."""
    finished: list[str] = []
    for path in await asyncio.to_thread(_spool_files, directory):
        handle = await asyncio.to_thread(_try_lock, path)
        if handle is None:
            continue
        try:
            lines = await asyncio.to_thread(_lines, handle)
            if lines:
                await replay(store, lines, prices)
                ops = [decode(line) for line in lines]
                finished += [op["call_id"] for op in ops if op["op"] == "finalize"]
            await asyncio.to_thread(path.unlink)
        except Exception as e:
            logger.warning("spool not flushed", extra={"spool": str(path), "error": str(e)})
        finally:
            handle.close()
    return finished
