"""The ``frontdesk`` command: ``up``, ``demo`` and ``dispatch``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from .authoring.cli import flow_app
from .budget.cli import usage
from .capture.cli import flush_spool, retention_app
from .cli_settings import settings_or_exit
from .config import Settings
from .control.staff_cli import staff_app
from .errors import FrontdeskError
from .logs import setup_logging
from .meetings.cli import meeting_app
from .postcall.cli import outbox_app, postcall_app
from .record.vocabulary import Source
from .sip.cli import dial, sip_app
from .stack import LocalStack, StackPorts
from .store.cli import calls_app, db_app
from .tenants.cli import tenant_app
from .tenants.kb_cli import kb_app
from .web.cli import campaigns_app, qr

if TYPE_CHECKING:
    from .demo.caller import SimulatedCaller

app = typer.Typer(
    help="Frontdesk: a self-hostable voice-agent platform on LiveKit Agents.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(flow_app, name="flow")
db_app.command("flush-spool")(flush_spool)
app.add_typer(db_app, name="db")
app.add_typer(calls_app, name="calls")
app.add_typer(retention_app, name="retention")
app.add_typer(tenant_app, name="tenant")
app.add_typer(kb_app, name="kb")
app.add_typer(postcall_app, name="postcall")
app.add_typer(outbox_app, name="outbox")
app.add_typer(campaigns_app, name="campaigns")
app.add_typer(meeting_app, name="meeting")
app.add_typer(sip_app, name="sip")
app.add_typer(staff_app, name="staff")
app.command("dial")(dial)
app.command("qr")(qr)
app.command("usage")(usage)


def _settings() -> Settings:
    return settings_or_exit("frontdesk")


def _progress(start: float) -> Callable[[str], None]:
    def emit(message: str) -> None:
        typer.echo(f"[{time.monotonic() - start:6.1f}s] {message}", err=True)

    return emit


@app.command()
def setup() -> None:
    """Make sure livekit-server (and livekit-sip, when phone calls are on) is available:
    built with Go on the first run."""
    from .stack.binary import LIVEKIT_SERVER, LIVEKIT_SIP, ensure_tool

    settings = _settings()
    tools = [LIVEKIT_SERVER, LIVEKIT_SIP] if settings.sip_enabled else [LIVEKIT_SERVER]
    progress = _progress(time.monotonic())
    for tool in tools:
        try:
            path = asyncio.run(ensure_tool(tool, settings.tools_dir, progress))
        except FrontdeskError as e:
            typer.echo(f"frontdesk setup: {e}", err=True)
            raise typer.Exit(1) from e
        typer.echo(f"{tool.name}: {path}")


@app.command()
def up() -> None:
    """Start livekit-server, the dispatcher and the worker in the foreground (Ctrl-C stops)."""
    settings = _settings()
    try:
        asyncio.run(_up(settings))
    except FrontdeskError as e:
        typer.echo(f"frontdesk up: {e}", err=True)
        raise typer.Exit(1) from e


async def _up(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def echo(name: str, line: str) -> None:
        print(f"{name:>14} | {line}", flush=True)

    ports = StackPorts(sip=settings.sip_port)
    async with LocalStack(
        settings,
        ports=ports,
        sip=settings.sip_enabled,
        echo=echo,
        progress=_progress(time.monotonic()),
    ) as stack:
        phone = ""
        if stack.sip:  # Redis keeps nothing: provision the tenants' numbers again
            phone = (
                f"  phone calls     sip:<number>@{stack.sip_uri_host}  ({await _sip_sync(stack)})\n"
            )
        typer.echo(
            "\nFrontdesk is up:\n"
            f"  LiveKit server  {stack.url}  (key {settings.livekit_api_key})\n"
            f"{phone}"
            f"  dispatcher      http://127.0.0.1:{ports.dispatcher_http}  "
            '(POST /v1/calls {"tenant": "crumb-and-co"}; API docs at /docs)\n'
            f"  web widget      http://127.0.0.1:{ports.dispatcher_http}/w/<tenant>/<campaign>  "
            "(e.g. /w/crumb-and-co/crumb-website)\n"
            f"  worker          agent {settings.agent_name!r}, health "
            f"http://127.0.0.1:{ports.worker_http}/, metrics "
            f"http://127.0.0.1:{ports.worker_metrics}/metrics\n"
            "Press Ctrl-C to stop.\n",
            err=True,
        )
        waiters = [asyncio.create_task(s.wait()) for s in stack.services]
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({stopper, *waiters}, return_when=asyncio.FIRST_COMPLETED)
        if stopper not in done:
            dead = [s.name for s in stack.services if not s.running]
            typer.echo(f"frontdesk up: {', '.join(dead)} exited; stopping", err=True)
        typer.echo("stopping ...", err=True)
        for task in (stopper, *waiters):
            task.cancel()
    typer.echo("stopped", err=True)


@app.command()
def demo(
    json_report: Annotated[
        bool, typer.Option("--json", help="End with one JSON report line")
    ] = False,
    tenant: Annotated[str, typer.Option(help="Tenant to call")] = "crumb-and-co",
) -> None:
    """Run a complete offline demo call through a real LiveKit server."""
    settings = _settings()
    signal.signal(signal.SIGTERM, _raise_interrupt)  # stop the stack cleanly on SIGTERM too
    try:
        ok = asyncio.run(_demo(settings, tenant, json_report))
    except FrontdeskError as e:
        typer.echo(f"frontdesk demo: {e}", err=True)
        raise typer.Exit(1) from e
    raise typer.Exit(0 if ok else 1)


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


class _HangupNoise(logging.Filter):
    """Drop the rtc SDK's complaints about channels closing when the agent hangs up."""

    NOISE = ("closed unexpectedly", "Event loop is closed")

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(n in record.getMessage() for n in self.NOISE)


async def _demo(settings: Settings, tenant: str, json_report: bool) -> bool:
    from .demo.call import run_demo_call
    from .demo.report import format_turn
    from .postcall.demo import demo_mail_sink, wait_for_postcall

    setup_logging(settings.model_copy(update={"log_level": "WARNING"}))
    for handler in logging.getLogger().handlers:
        handler.addFilter(_HangupNoise())

    progress = _progress(time.monotonic())
    progress("[1/3] preparing the local stack (livekit-server, dispatcher, worker)")
    # a local SMTP sink catches the owner email that the worker's post-call pipeline sends
    with demo_mail_sink(settings) as (mail, mail_env):
        stack_ports = StackPorts.ephemeral()
        async with LocalStack(
            settings, ports=stack_ports, progress=progress, extra_env=mail_env
        ) as stack:
            progress("[2/3] the stack is up; placing the call")
            report = await run_demo_call(
                settings,
                stack.url,
                tenant=tenant,
                on_turn=lambda turn: print(format_turn(turn), flush=True),
                on_progress=progress,
            )
            progress("[3/3] call finished; waiting for the post-call pipeline, then stopping")
            postcall = await wait_for_postcall(settings, report.room, mail)
    print("\n".join(postcall.lines() if postcall else ["the call was not stored"]), flush=True)
    summary = report.to_json()
    summary["postcall_ok"] = postcall is not None and postcall.ok
    lat = summary["latency_ms"]
    print(
        f"\n{'PASS' if report.ok and summary['postcall_ok'] else 'FAIL'}: caller understood "
        f"{summary['caller_turns_understood']}/{summary['caller_turns']}{_again(summary)}, "
        f"agent heard "
        f"{summary['agent_turns_heard']}/{summary['agent_turns']}, hung up: {report.hung_up}, "
        f"voice-to-voice p50 {_ms(lat, 'p50')} p95 {_ms(lat, 'p95')}",
        flush=True,
    )
    if json_report:
        print(json.dumps(summary), flush=True)
    return report.ok and bool(summary["postcall_ok"])


async def _sip_sync(stack: LocalStack) -> str:
    from .sip.cli import sync_now

    try:
        changes = await sync_now(stack.settings.model_copy(update={"livekit_url": stack.url}))
    except FrontdeskError as e:
        return f"not provisioned: {e}; fix it, then run `frontdesk sip sync`"
    routed = sum(c.kind == "trunk" and c.name != "frontdesk:unknown-numbers" for c in changes)
    return f"{routed} inbound trunk(s) provisioned; `frontdesk sip sync` after editing numbers"


def _again(summary: dict[str, object]) -> str:
    again = summary.get("caller_lines_said_again")
    return f" ({again} said again)" if isinstance(again, int) and again else ""


def _ms(lat: object, key: str) -> str:
    value = lat.get(key) if isinstance(lat, dict) else None
    return f"{value:.0f} ms" if isinstance(value, int | float) else "n/a"


@app.command()
def call(
    tenant: Annotated[str, typer.Option(help="Tenant to call")] = "crumb-and-co",
    source: Annotated[
        Source | None, typer.Option(help="sip, web or meeting: chooses the tenant's flow")
    ] = None,
    join_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for the agent to join the room")
    ] = 30.0,
) -> None:
    """Phone the agent of a running stack (`frontdesk up`) and talk by typing.

    Each line you type is spoken into the call with eSpeak NG; the agent's words are
    printed as it says them. An empty line stays silent; Ctrl-D hangs up. When no agent
    joins within --join-timeout seconds, it says so and exits 1.
    """
    settings = _settings()
    try:
        asyncio.run(_call(settings, tenant, source, join_timeout))
    except FrontdeskError as e:
        typer.echo(f"frontdesk call: {e}", err=True)
        raise typer.Exit(1) from e


async def _call(
    settings: Settings, tenant: str, source: Source | None, join_timeout: float = 30.0
) -> None:
    from .demo.call import dial, expect_agent

    async with dial(settings, settings.livekit_url, tenant, source=source) as (caller, room):
        typer.echo(f"joined room {room}; waiting for the agent ...")
        await expect_agent(caller, room, settings, join_timeout)
        await talk(caller)
    typer.echo("call ended")


async def talk(caller: SimulatedCaller) -> None:
    """Speak each typed line into the call and print what both sides said, until the
    agent hangs up or stdin ends (``frontdesk call``, ``frontdesk meeting join``)."""
    loop = asyncio.get_running_loop()
    typer.echo("the agent is here; type what the caller says (Ctrl-D hangs up)")
    shown = 0
    since = time.time()
    while not caller.disconnected.is_set():
        await caller.agent_turn_done(since, timeout=60)
        for said in caller.transcripts[shown:]:
            who = "you (as heard)" if said.own_speech else "agent"
            typer.echo(f"  {who}: {said.text}")
        shown = len(caller.transcripts)
        if caller.disconnected.is_set():
            break
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        since = time.time()
        if line.strip():
            await caller.say(line.strip())


@app.command()
def dispatch(
    tenant: Annotated[str, typer.Option(help="Tenant id")] = "crumb-and-co",
    room: Annotated[str | None, typer.Option(help="Room name")] = None,
    source: Annotated[
        Source | None, typer.Option(help="sip, web or meeting: chooses the tenant's flow")
    ] = None,
) -> None:
    """Create a room and dispatch the agent to it (the stack must be up)."""
    from .control.dispatch import dispatch_call, livekit_api

    settings = _settings()

    async def go() -> None:
        lkapi = livekit_api(settings)
        try:
            call = await dispatch_call(lkapi, settings, tenant=tenant, room=room, source=source)
        finally:
            await lkapi.aclose()
        typer.echo(f"dispatched to room {call.room} (tenant {call.tenant})")

    asyncio.run(go())


def main() -> None:  # pragma: no cover - console script
    with contextlib.suppress(KeyboardInterrupt):
        app()
    sys.exit(0)
