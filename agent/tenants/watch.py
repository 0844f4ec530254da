"""Tenants and flows checked when the worker starts, and again whenever their files change.

The worker's main process runs :func:`watch_configuration`: at start it loads every
tenant (``tenant.yaml``, the flows it routes to, its prompts and templates, as
``frontdesk tenant check`` does, knowledge documents aside) and every shared flow in
``flows/``, and logs each problem with its ``file:line``; then it polls the files'
sizes and modification times and checks again when one changes. A broken tenant or flow
never stops the worker: the other tenants are served, and a call the broken one would
serve is refused politely at call time (see :mod:`agent.worker_app`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from ..errors import FrontdeskError
from ..flow.load import load_flow
from .check import check_tenants

logger = logging.getLogger("frontdesk.config")

Stamp = tuple[tuple[str, int, int], ...]
SKIPPED_DIRS = frozenset({"knowledge", ".index"})  # documents are read per call


@dataclass(frozen=True)
class ConfigReport:
    """The problems of one check, each ``file[:line]: message``, and how many tenants
    and shared flows it read."""

    problems: tuple[str, ...]
    tenants: int
    flows: int


def check_configuration(tenants_dir: Path, flows_dir: Path) -> ConfigReport:
    """Every tenant and every shared flow, loaded and checked (blocking file I/O)."""
    results = check_tenants(tenants_dir, flows_dir)
    problems = [p for found in results.values() for p in found]
    flows = sorted(flows_dir.glob("*.yaml")) if flows_dir.is_dir() else []
    for path in flows:
        try:
            load_flow(path)
        except FrontdeskError as e:
            problems.append(str(e))
    return ConfigReport(tuple(dict.fromkeys(problems)), len(results), len(flows))


def report(found: ConfigReport, *, reloaded: bool = False) -> None:
    """Log each problem (an error naming its file and line), then a summary."""
    for problem in found.problems:
        logger.error("configuration problem", extra={"problem": problem})
    extra = {"tenants": found.tenants, "flows": found.flows, "problems": len(found.problems)}
    what = "tenants and flows reloaded" if reloaded else "tenants and flows checked"
    logger.log(logging.WARNING if found.problems else logging.INFO, what, extra=extra)


def stamp(*folders: Path) -> Stamp:
    """Path, size and mtime of every configuration file under ``folders``."""
    found: list[tuple[str, int, int]] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if SKIPPED_DIRS & set(path.relative_to(folder).parts) or not path.is_file():
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            found.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(found)


async def watch_configuration(tenants_dir: Path, flows_dir: Path, interval_s: float) -> None:
    """Check at start, then again after every change (runs until cancelled)."""
    seen = await asyncio.to_thread(stamp, tenants_dir, flows_dir)
    report(await asyncio.to_thread(check_configuration, tenants_dir, flows_dir))
    while True:
        await asyncio.sleep(interval_s)
        now = await asyncio.to_thread(stamp, tenants_dir, flows_dir)
        if now != seen:
            seen = now
            found = await asyncio.to_thread(check_configuration, tenants_dir, flows_dir)
            report(found, reloaded=True)
