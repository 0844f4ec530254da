"""Find the stack's Go programs (livekit-server, livekit-sip), or build them once with Go
into the tools folder.

Order: the program on PATH, then ``<tools_dir>/bin/<name>``. If neither exists, Go
fetches the tool's module at its pinned version through the configured module proxy
(``go mod download``) and builds its command from there (``go build``), into the tools
folder; a second run reuses the binary. A Go older than the module asks for switches
toolchains itself (``GOTOOLCHAIN``). Go's module and build caches live in the user's
home, so a rebuild on the same machine is fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import StackError

Progress = Callable[[str], None]


@dataclass(frozen=True)
class GoTool:
    """A program of the stack, built from a Go module's command."""

    name: str  # the binary's name, on PATH or in <tools_dir>/bin
    module: str
    version: str
    package: str  # the command inside the module, e.g. ./cmd/server
    cgo: bool = False
    expected_build_s: int = 240  # a cold build: modules fetched, then compiled
    needs: str = ""  # what a cgo build needs installed, for the error message


LIVEKIT_SERVER = GoTool(
    "livekit-server", "github.com/livekit/livekit-server", "v1.13.5", "./cmd/server"
)
LIVEKIT_SIP = GoTool(
    "livekit-sip",
    "github.com/livekit/sip",
    "v1.8.0",
    "./cmd/livekit-sip",
    cgo=True,
    expected_build_s=180,
    needs="pkg-config and the Opus, Opusfile and SoX resampler headers "
    "(Debian: libopus-dev libopusfile-dev libsoxr-dev)",
)
LIVEKIT_SERVER_VERSION = LIVEKIT_SERVER.version


def find_tool(tool: GoTool, tools_dir: Path) -> Path | None:
    on_path = shutil.which(tool.name)
    if on_path:
        return Path(on_path)
    built = tools_dir / "bin" / tool.name
    return built if built.is_file() and os.access(built, os.X_OK) else None


def find_livekit_server(tools_dir: Path) -> Path | None:
    return find_tool(LIVEKIT_SERVER, tools_dir)


async def ensure_tool(tool: GoTool, tools_dir: Path, progress: Progress) -> Path:
    """Return the tool's binary, building it first if this machine has none."""
    found = find_tool(tool, tools_dir)
    if found is not None:
        return found
    go = shutil.which("go")
    if go is None:
        raise StackError(
            f"{tool.name} is not on PATH and Go is not installed to build it: "
            f"install Go (https://go.dev/doc/install) or put {tool.name} on PATH"
        )
    return await _build(go, tool, tools_dir, progress)


async def ensure_livekit_server(tools_dir: Path, progress: Progress) -> Path:
    return await ensure_tool(LIVEKIT_SERVER, tools_dir, progress)


async def _build(go: str, tool: GoTool, tools_dir: Path, progress: Progress) -> Path:
    staging = tools_dir / "build"
    staging.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CGO_ENABLED": "1" if tool.cgo else "0"}
    target = f"{tool.module}@{tool.version}"
    progress(
        f"building {tool.name} {tool.version} with Go (first run only, "
        f"usually under {tool.expected_build_s // 60 + 1} minutes)"
    )
    code, output = await _go(
        go, ["mod", "download", "-json", target], env=env, cwd=None, tool=tool, progress=progress
    )
    if code != 0:
        raise StackError(f"fetching {target} failed (go mod download):\n{_tail(output)}")
    source = Path(json.loads("\n".join(output))["Dir"])
    binary = staging / tool.name
    argv = ["build", "-trimpath", "-o", str(binary), tool.package]
    code, output = await _go(go, argv, env=env, cwd=source, tool=tool, progress=progress)
    if code != 0:
        hint = f"\n(a cgo build needs {tool.needs})" if tool.needs else ""
        raise StackError(f"building {tool.name} failed (go build {target}):\n{_tail(output)}{hint}")
    final = tools_dir / "bin" / tool.name
    final.parent.mkdir(parents=True, exist_ok=True)
    binary.replace(final)
    progress(f"built {final}")
    return final


async def _go(
    go: str,
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path | None,
    tool: GoTool,
    progress: Progress,
) -> tuple[int, list[str]]:
    """Run one go command, reporting progress every 15 s; its exit code and output."""
    proc = await asyncio.create_subprocess_exec(
        go,
        *argv,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output: list[str] = []
    errors: list[str] = []
    reader = asyncio.gather(_collect(proc.stdout, output), _collect(proc.stderr, errors))
    start = time.monotonic()
    while True:
        try:
            await asyncio.wait_for(asyncio.shield(reader), timeout=15)
            break
        except TimeoutError:
            elapsed = time.monotonic() - start
            fetched = sum(line.startswith("go: downloading") for line in errors)
            left = max(tool.expected_build_s - elapsed, 10)
            progress(
                f"  ... {elapsed:.0f}s elapsed, {fetched} modules fetched, about {left:.0f}s left"
            )
    code = await proc.wait()
    return code, output if code == 0 else output + errors


def _tail(lines: list[str]) -> str:
    return "\n".join(lines[-30:])


async def _collect(stream: asyncio.StreamReader | None, output: list[str]) -> None:
    assert stream is not None
    while raw := await stream.readline():
        output.append(raw.decode(errors="replace").rstrip())
