"""Run the local stack: livekit-server, the dispatcher and the worker, as child processes;
with phone calls on, Redis and livekit-sip too.

Children run in their own session so a Ctrl-C in the terminal reaches only us; we then
stop them in order (worker, dispatcher, server), each with SIGTERM and, after a grace
period, SIGKILL. Each child's output goes to a log file, and optionally to the console
with the service's name in front.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import random
import re
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import aiohttp
import yaml

from ..config import ROOT, Settings
from ..errors import StackError
from .binary import LIVEKIT_SIP, ensure_livekit_server, ensure_tool
from .sip import find_redis, redis_address, redis_argv, sip_config_body

Echo = Callable[[str, str], None]
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when the stack's process dies,
    so a killed ``frontdesk up``/``demo`` leaves no server or worker behind."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class StackPorts:
    livekit: int = 7880
    rtc_tcp: int = 7881
    udp_start: int = 50000
    udp_end: int = 50200
    worker_http: int = 8081
    dispatcher_http: int = 8089
    worker_metrics: int = 9181
    redis: int = 6390  # not 6379: a Redis service of the machine may hold that one
    sip: int = 5060
    sip_rtp_start: int = 10000
    sip_rtp_end: int = 10199

    @classmethod
    def ephemeral(cls) -> StackPorts:
        """Free ports for a stack that must not collide with a developer's own."""
        udp = random.randrange(20000, 30000, 400)
        return cls(
            free_port(),
            free_port(),
            udp,
            udp + 199,
            free_port(),
            free_port(),
            worker_metrics=free_port(),
            redis=free_port(),
            sip=free_udp_and_tcp_port(),
            sip_rtp_start=udp + 200,
            sip_rtp_end=udp + 399,
        )


def free_udp_and_tcp_port() -> int:
    """A port free for both UDP and TCP (SIP listens on both)."""
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def livekit_config_body(settings: Settings, ports: StackPorts, *, sip: bool = False) -> str:
    """livekit.yaml, with the ports and keys of this stack (and its Redis, for SIP)."""
    config = yaml.safe_load(settings.livekit_config.read_text(encoding="utf-8"))
    if sip:
        config["redis"] = {"address": redis_address(ports.redis)}
    config["port"] = ports.livekit
    rtc = config.setdefault("rtc", {})
    rtc.update(port_range_start=ports.udp_start, port_range_end=ports.udp_end)
    if rtc.get("tcp_port"):  # ICE over TCP only where the config turns it on (it binds *)
        rtc["tcp_port"] = ports.rtc_tcp
    config["keys"] = {settings.livekit_api_key: settings.livekit_api_secret.get_secret_value()}
    webhook = config.setdefault("webhook", {})
    webhook["api_key"] = settings.livekit_api_key
    webhook["urls"] = [f"http://127.0.0.1:{ports.dispatcher_http}/livekit/webhook"]
    return str(yaml.safe_dump(config, sort_keys=False))


@dataclass
class Service:
    """One child process, ready when a line of its output matches ``ready``."""

    name: str
    argv: list[str]
    ready: re.Pattern[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    echo: Echo | None = None
    _proc: asyncio.subprocess.Process | None = None
    _pump: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, timeout: float) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._proc = await asyncio.create_subprocess_exec(
            *self.argv,
            env={**os.environ, **self.env},
            start_new_session=True,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._pump = asyncio.create_task(self._read_output())
        waiter = asyncio.create_task(self._ready.wait())
        await asyncio.wait(
            {waiter, self._pump}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if not self._ready.is_set():
            waiter.cancel()
            await self.stop()
            raise StackError(
                f"{self.name} did not start within {timeout:.0f}s; "
                f"last output:\n{self.tail()}\n(full log: {self.log_path})"
            )

    async def _read_output(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        with self.log_path.open("a", encoding="utf-8") as log:
            while raw := await self._proc.stdout.readline():
                line = raw.decode(errors="replace").rstrip()
                log.write(line + "\n")
                log.flush()
                if self.ready.search(line):
                    self._ready.set()
                if self.echo is not None:
                    self.echo(self.name, line)

    def tail(self, lines: int = 20) -> str:
        if not self.log_path.exists():
            return "(no output)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def wait(self) -> int:
        assert self._proc is not None
        return await self._proc.wait()

    async def stop(self, grace: float = 10.0) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        if self._pump is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pump, 2)


class LocalStack:
    """livekit-server, then the dispatcher, then the worker; stopped in reverse order.
    With ``sip``: Redis first, and livekit-sip after livekit-server."""

    def __init__(
        self,
        settings: Settings,
        *,
        ports: StackPorts | None = None,
        log_dir: Path | None = None,
        with_worker: bool = True,
        with_dispatcher: bool = True,
        sip: bool = False,
        echo: Echo | None = None,
        progress: Callable[[str], None] = lambda _msg: None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.ports = ports or StackPorts()
        self.log_dir = log_dir or ROOT / "var" / "logs"
        self._with_worker, self._with_dispatcher = with_worker, with_dispatcher
        self.sip = sip
        self._echo, self._progress = echo, progress
        self._extra_env = extra_env or {}
        self.services: list[Service] = []

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.ports.livekit}"

    @property
    def sip_uri_host(self) -> str:
        """Where livekit-sip takes calls: ``host:port`` (a SIP URI's host part)."""
        return f"{self.settings.sip_public_ip}:{self.ports.sip}"

    def child_env(self) -> dict[str, str]:
        s = self.settings
        return {
            "LIVEKIT_URL": self.url,
            "LIVEKIT_API_KEY": s.livekit_api_key,
            "LIVEKIT_API_SECRET": s.livekit_api_secret.get_secret_value(),
            "FRONTDESK_WORKER_PORT": str(self.ports.worker_http),
            "FRONTDESK_DISPATCHER_PORT": str(self.ports.dispatcher_http),
            "PYTHONUNBUFFERED": "1",
            **self._extra_env,
        }

    async def __aenter__(self) -> LocalStack:
        try:
            await self._start_all()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _start_all(self) -> None:
        binary = await ensure_livekit_server(self.settings.tools_dir, self._progress)
        if self.sip:
            # both before anything starts: a first run builds livekit-sip
            sip_binary = await ensure_tool(LIVEKIT_SIP, self.settings.tools_dir, self._progress)
            redis = redis_argv(find_redis(), self.ports.redis)
            await self._start(self._service("redis", redis, r"[Rr]eady to accept connections"), 30)
        body = livekit_config_body(self.settings, self.ports, sip=self.sip)
        server = self._service(
            "livekit-server", [str(binary), "--config-body", body], r"starting LiveKit server"
        )
        await self._start(server, timeout=30)
        await _wait_http_ok(f"http://127.0.0.1:{self.ports.livekit}/", timeout=15)
        if self.sip:
            sip_body = sip_config_body(
                self.settings,
                livekit_url=self.url,
                redis_port=self.ports.redis,
                sip_port=self.ports.sip,
                rtp=(self.ports.sip_rtp_start, self.ports.sip_rtp_end),
            )
            argv = [str(sip_binary), "--config-body", sip_body]
            await self._start(self._service("livekit-sip", argv, r"sip signaling listening"), 30)
        if self._with_dispatcher:
            cmd = [sys.executable, str(ROOT / "dispatcher.py"), "serve"]
            await self._start(self._service("dispatcher", cmd, r"dispatcher listening"), 60)
        if self._with_worker:
            cmd = [sys.executable, str(ROOT / "worker.py"), "start"]
            # the metrics port is this worker's alone (others started with child_env()
            # beside it must not try to bind it)
            metrics = {"FRONTDESK_METRICS_PORT": str(self.ports.worker_metrics)}
            worker = self._service("worker", cmd, r"registered worker", metrics)
            await self._start(worker, 120)

    def _service(
        self, name: str, argv: list[str], ready: str, env: dict[str, str] | None = None
    ) -> Service:
        return Service(
            name,
            argv,
            re.compile(ready),
            self.log_dir / f"{name}.log",
            env={**self.child_env(), **(env or {})},
            echo=self._echo,
        )

    async def _start(self, service: Service, timeout: float) -> None:
        started = time.monotonic()
        self._progress(f"starting {service.name} ...")
        self.services.append(service)
        await service.start(timeout)
        self._progress(f"{service.name} ready in {time.monotonic() - started:.1f}s")

    async def stop(self) -> None:
        for service in reversed(self.services):
            await service.stop()
        self.services.clear()


async def _wait_http_ok(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise StackError(f"{url} did not answer within {timeout:.0f}s")
            await asyncio.sleep(0.1)
