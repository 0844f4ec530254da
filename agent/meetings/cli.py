"""``frontdesk meeting create|show|reschedule|cancel``: the dispatcher's meeting API from
the command line (the dispatcher owns the scheduler, so the CLI asks it over HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote

import httpx
import typer

from ..cli_settings import settings_or_exit
from ..stack.mail import MailSink

meeting_app = typer.Typer(
    help="Scheduled meetings: invite attendees, the agent joins on time.",
    no_args_is_help=True,
)

ATTENDEE = re.compile(r"^\s*(?P<name>[^<>]+?)\s*<(?P<email>[^<>\s]+)>\s*$")
RELATIVE = re.compile(r"^\+(?P<n>\d+)(?P<unit>[smh])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}


def parse_start(value: str, *, now: datetime | None = None, option: str = "--start") -> datetime:
    """ISO 8601 with a UTC offset, or ``+N`` seconds, minutes or hours from now
    (``option`` names the command line option in errors)."""
    relative = RELATIVE.match(value.strip())
    if relative:
        delta = timedelta(**{UNITS[relative["unit"]]: int(relative["n"])})
        return (now or datetime.now(UTC)) + delta
    try:
        start = datetime.fromisoformat(value)
    except ValueError as e:
        raise typer.BadParameter(
            f"{value!r} is no time: use ISO 8601 with an offset or +10m", param_hint=option
        ) from e
    if start.tzinfo is None:
        raise typer.BadParameter(
            f"{value!r} has no UTC offset (add +00:00 or Z)", param_hint=option
        )
    return start


def parse_attendee(value: str) -> dict[str, str]:
    found = ATTENDEE.match(value)
    if found is None:
        raise typer.BadParameter(
            f"{value!r}: write an attendee as 'Name <email>'", param_hint="--attendee"
        )
    return {"name": found["name"], "email": found["email"]}


def _base(dispatcher: str | None) -> str:
    if dispatcher:
        return dispatcher.rstrip("/")
    settings = settings_or_exit("frontdesk meeting", check_keys=False)
    return f"http://{settings.dispatcher_host}:{settings.dispatcher_port}"


def _auth_headers() -> dict[str, str]:
    """The staff API key the dispatcher's meeting routes require (FRONTDESK_API_KEY,
    made with ``frontdesk staff key``)."""
    settings = settings_or_exit("frontdesk meeting", check_keys=False)
    if settings.api_key is None:
        return {}
    return {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"}


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> None:
    try:
        answer = httpx.request(method, url, json=body, headers=_auth_headers(), timeout=30)
    except httpx.HTTPError as e:
        typer.echo(f"frontdesk meeting: the dispatcher at {url} did not answer: {e}", err=True)
        raise typer.Exit(1) from e
    data = answer.json()
    if answer.is_error:
        typer.echo(f"frontdesk meeting: {data.get('error', answer.text)}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(data, indent=2))


Dispatcher = Annotated[
    str | None, typer.Option(help="The dispatcher's URL (default: this machine's)")
]


@meeting_app.command()
def create(
    *,
    tenant: Annotated[str, typer.Option(help="Tenant id")],
    title: Annotated[str, typer.Option(help="What the meeting is about")],
    start: Annotated[str, typer.Option(help="ISO 8601 with offset, or +10m from now")],
    attendee: Annotated[list[str], typer.Option(help="'Name <email>', repeatable")],
    duration: Annotated[int, typer.Option(help="Minutes")] = 30,
    timezone: Annotated[str, typer.Option(help="IANA time zone of the invitation")] = "UTC",
    mode: Annotated[str, typer.Option(help="discovery (its flow) or assistant")] = "discovery",
    dispatcher: Dispatcher = None,
) -> None:
    """Schedule a meeting; each attendee is emailed an invitation with a join link."""
    body = {
        "tenant": tenant,
        "title": title,
        "start": parse_start(start).isoformat(),
        "duration_min": duration,
        "timezone": timezone,
        "attendees": [parse_attendee(a) for a in attendee],
        "mode": mode,
    }
    _call("POST", f"{_base(dispatcher)}/v1/meetings", body)


@meeting_app.command()
def show(meeting_id: str, dispatcher: Dispatcher = None) -> None:
    """A meeting's state."""
    _call("GET", f"{_base(dispatcher)}/v1/meetings/{meeting_id}")


@meeting_app.command()
def reschedule(
    meeting_id: str,
    start: Annotated[str, typer.Option(help="ISO 8601 with offset, or +10m from now")],
    duration: Annotated[int, typer.Option(help="Minutes")] = 30,
    dispatcher: Dispatcher = None,
) -> None:
    """Move a meeting; the attendees get the updated invitation."""
    body = {"start": parse_start(start).isoformat(), "duration_min": duration}
    _call("POST", f"{_base(dispatcher)}/v1/meetings/{meeting_id}/reschedule", body)


@meeting_app.command()
def cancel(meeting_id: str, dispatcher: Dispatcher = None) -> None:
    """Cancel a meeting; the attendees get the cancellation."""
    _call("POST", f"{_base(dispatcher)}/v1/meetings/{meeting_id}/cancel")


@meeting_app.command()
def join(
    link: Annotated[str, typer.Argument(help="The join link from the invitation")],
    dispatcher: Dispatcher = None,
) -> None:
    """Join a meeting with an invitation's link as a caller you drive by typing."""
    if "#" not in link:
        raise typer.BadParameter("a join link ends in #<token>", param_hint="LINK")
    base = dispatcher or link.split("/m/join", 1)[0]
    token = unquote(link.split("#", 1)[1])
    try:
        answer = httpx.post(f"{base}/v1/meetings/join", json={"token": token}, timeout=30)
    except httpx.HTTPError as e:
        typer.echo(f"frontdesk meeting: the dispatcher at {base} did not answer: {e}", err=True)
        raise typer.Exit(1) from e
    if answer.is_error:
        typer.echo(f"frontdesk meeting: {answer.json().get('error', answer.text)}", err=True)
        raise typer.Exit(2)
    asyncio.run(_join(answer.json()))


async def _join(session: dict[str, str]) -> None:
    from ..cli import talk
    from ..demo.caller import SimulatedCaller
    from ..providers.pocketsphinx_stt import PocketSphinxSTT

    ear = PocketSphinxSTT()
    caller = SimulatedCaller(ear)
    try:
        await caller.join(session["url"], session["token"])
        typer.echo(f"joined room {session['room']}; waiting for the agent ...")
        if not await caller.wait_for_agent(120):
            typer.echo("frontdesk meeting: the agent did not come", err=True)
            raise typer.Exit(1)
        await talk(caller)
    finally:
        await caller.leave()
        await ear.aclose()
    typer.echo("meeting left")


@meeting_app.command("mail-sink")
def mail_sink(
    directory: Annotated[Path, typer.Option("--dir", help="Where the .eml files go")] = Path(
        "var/mail"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="SMTP port on 127.0.0.1")] = 2525,
) -> None:
    """A local SMTP server that keeps every message as an .eml file (Ctrl-C stops)."""
    with MailSink(directory, port=port) as sink:
        typer.echo(f"SMTP sink on {sink.host}:{sink.port}, writing to {directory}/", err=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
