"""Find the ``livekit-server`` binary, or build it once with Go into the tools folder.

Order: ``livekit-server`` on PATH, then ``<tools_dir>/bin/livekit-server``. If neither
exists, ``go install github.com/livekit/livekit-server/cmd/server@<version>`` builds it
(Go names the binary ``server``; it is renamed). Go's module and build caches live in
the user's home, so a second build on the same machine is fast.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import StackError

LIVEKIT_SERVER_VERSION = "v1.13.5"
LIVEKIT_SERVER_MODULE = "github.com/livekit/livekit-server/cmd/server"
# A cold build here downloads ~150 modules and compiles for a few minutes.
EXPECTED_BUILD_SECONDS = 240

Progress = Callable[[str], None]


def find_livekit_server(tools_dir: Path) -> Path | None:
    on_path = shutil.which("livekit-server")
    if on_path:
        return Path(on_path)
    built = tools_dir / "bin" / "livekit-server"
    return built if built.is_file() and os.access(built, os.X_OK) else None


async def ensure_livekit_server(tools_dir: Path, progress: Progress) -> Path:
    """Return the binary, building it first if this machine has none."""
    found = find_livekit_server(tools_dir)
    if found is not None:
        return found
    go = shutil.which("go")
    if go is None:
        raise StackError(
            "livekit-server is not on PATH and Go is not installed to build it: "
            "install Go (https://go.dev/doc/install) or put livekit-server on PATH"
        )
    return await _build(go, tools_dir, progress)


async def _build(go: str, tools_dir: Path, progress: Progress) -> Path:
    staging = tools_dir / "build"
    staging.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOBIN": str(staging), "GOFLAGS": "-trimpath", "CGO_ENABLED": "0"}
    target = f"{LIVEKIT_SERVER_MODULE}@{LIVEKIT_SERVER_VERSION}"
    progress(
        f"building livekit-server {LIVEKIT_SERVER_VERSION} with Go (first run only, "
        f"usually under {EXPECTED_BUILD_SECONDS // 60} minutes)"
    )
    proc = await asyncio.create_subprocess_exec(
        go,
        "install",
        target,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output: list[str] = []
    reader = asyncio.create_task(_collect(proc, output))
    start = time.monotonic()
    while True:
        try:
            await asyncio.wait_for(asyncio.shield(reader), timeout=15)
            break
        except TimeoutError:
            elapsed = time.monotonic() - start
            fetched = sum(line.startswith("go: downloading") for line in output)
            left = max(EXPECTED_BUILD_SECONDS - elapsed, 10)
            progress(
                f"  ... {elapsed:.0f}s elapsed, {fetched} modules fetched, about {left:.0f}s left"
            )
    if await proc.wait() != 0:
        tail = "\n".join(output[-30:])
        raise StackError(f"building livekit-server failed (go install {target}):\n{tail}")
    final = tools_dir / "bin" / "livekit-server"
    final.parent.mkdir(parents=True, exist_ok=True)
    (staging / "server").replace(final)
    progress(f"built {final}")
    return final


async def _collect(proc: asyncio.subprocess.Process, output: list[str]) -> None:
    assert proc.stdout is not None
    while raw := await proc.stdout.readline():
        output.append(raw.decode(errors="replace").rstrip())
