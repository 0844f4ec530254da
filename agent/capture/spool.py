"""The local spool: one JSON-lines file per call, written ahead of the store. Every
record is appended to it as it is made (handed to the OS, not synced: a killed process
loses none, a crashed machine may lose the last few), and forgotten once the store has
it and nothing came after it; while the store is unavailable the file is where the
call's records wait. The live recorder holds an exclusive ``flock`` on its file, so
recovery (the worker's background sweeper, ``frontdesk outbox run --forever``, the next
recorder's start, or ``frontdesk db flush-spool``) never replays a live call; a killed
worker's lock dies with it, and its records are replayed (replays are idempotent).
Records the store refuses go to the dead-letter folder (:mod:`.writer`)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import IO

from ..store import Store
from ..store.usage import PriceTable
from .ops import decode
from .writer import DeadLetters, RecordWriter

logger = logging.getLogger("frontdesk.capture.spool")


def spool_dir(data_dir: Path) -> Path:
    return data_dir / "spool"


class SpoolFile:
    """A call's spool file, opened and locked for as long as the call is recorded.

    The recorder appends on its event loop (:meth:`log`: one ``write``, no sync) and
    reads or trims from a thread; a lock keeps the two apart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        """Open and lock the file (once). If a recovery unlinked it while we waited for the
        lock, lock a fresh one: records must never go to a file no one can find."""
        with self._lock:
            self._open()

    def _open(self) -> IO[str]:
        if self._file is not None:
            return self._file
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
                return handle
            handle.close()

    def log(self, line: str) -> int:
        """Append one record and hand it to the OS; returns the file's size after it."""
        with self._lock:
            handle = self._open()
            handle.write(line + "\n")
            handle.flush()
            return os.fstat(handle.fileno()).st_size

    def read(self) -> tuple[list[str], int]:
        """Every record in the file, and the file's size when read."""
        with self._lock:
            handle = self._open()
            return _lines(handle), os.fstat(handle.fileno()).st_size

    def forget_if_last(self, size: int) -> None:
        """Empty the file if the record ending at ``size`` is its last (all stored now);
        else leave it (what it holds twice is replayed idempotently)."""
        with self._lock:
            handle = self._open()
            if os.fstat(handle.fileno()).st_size == size:
                handle.truncate(0)
                handle.flush()

    def forget(self, size: int, keep: list[str] | None = None) -> None:
        """The first ``size`` bytes are stored now, but for the records in ``keep``: drop
        them, keeping ``keep`` and whatever was appended after ``size``. When nothing
        else is left this is one truncate, the usual case."""
        with self._lock:
            handle = self._open()
            if not keep and os.fstat(handle.fileno()).st_size == size:
                handle.truncate(0)
                handle.flush()
                return
            handle.seek(size)
            after = handle.read()
            _keep(handle, keep or [])
            handle.write(after)
            handle.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is None:
                return
            if os.fstat(self._file.fileno()).st_size == 0:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            else:
                os.fsync(self._file.fileno())
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _spool_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.jsonl")) if directory.is_dir() else []


def _lines(handle: IO[str]) -> list[str]:
    handle.seek(0)
    return [line for line in handle.read().splitlines() if line.strip()]


def _try_lock(path: Path) -> IO[str] | None:
    """The file at ``path``, locked, unless a live recorder holds it or another recovery
    removed it meanwhile (then its records were written already)."""
    try:
        handle = open(path, "r+", encoding="utf-8")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
            return handle
    except (BlockingIOError, FileNotFoundError):
        pass
    handle.close()
    return None


def _keep(handle: IO[str], lines: list[str]) -> None:
    handle.seek(0)
    handle.truncate(0)
    handle.write("".join(line + "\n" for line in lines))
    handle.flush()
    os.fsync(handle.fileno())


def _finalized(lines: list[str]) -> list[str]:
    ops = []
    for line in lines:
        try:
            ops.append(decode(line))
        except ValueError:
            continue
    return [str(op["call_id"]) for op in ops if op.get("op") == "finalize" and "call_id" in op]


async def recover(store: Store, directory: Path, prices: PriceTable) -> list[str]:
    """Flush every spool file no live recorder holds. Returns the ids of the calls whose
    spool held their end (finalized now, so their post-call work is due). Refused
    records go to the dead-letter files; while the store is unavailable a file keeps
    the records still to write, for the next try."""
    finished: list[str] = []
    writer = RecordWriter(store, prices, DeadLetters(directory))
    for path in await asyncio.to_thread(_spool_files, directory):
        finished += await _recover_file(writer, path) or []
    return finished


async def recover_call(store: Store, directory: Path, prices: PriceTable, call_id: str) -> None:
    """Flush one call's spool file if there is one no live recorder holds: the records a
    dead job had not written yet, before a new job resumes its call."""
    writer = RecordWriter(store, prices, DeadLetters(directory))
    await _recover_file(writer, directory / f"{call_id}.jsonl")


async def _recover_file(writer: RecordWriter, path: Path) -> list[str] | None:
    """Write one spool file's records and remove it; the ids of the calls it finalized,
    or None when it is locked, gone, or kept (the store is unavailable)."""
    handle = await asyncio.to_thread(_try_lock, path)
    if handle is None:
        return None
    try:
        lines = await asyncio.to_thread(_lines, handle)
        written = await writer.write(lines)
        if written.pending:
            await asyncio.to_thread(_keep, handle, written.pending)
            logger.info("spool kept: the store is unavailable", extra={"spool": str(path)})
            return None
        await asyncio.to_thread(path.unlink)
        return _finalized(lines)
    finally:
        handle.close()
