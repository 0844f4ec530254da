"""``frontdesk staff``: create staff logins and API keys for a tenant's console and API.

``frontdesk staff add --tenant T --email E`` asks for the password twice on a terminal,
reads one line with ``--password-stdin``, or else makes one and prints it once. The
store keeps only its argon2 hash. ``frontdesk staff key`` prints a new API key (for
scripts and the ``frontdesk`` commands that call the dispatcher: ``FRONTDESK_API_KEY``).
"""

from __future__ import annotations

import asyncio
import getpass
import secrets
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer

from ..cli_settings import settings_or_exit
from ..errors import FrontdeskError
from ..store import staff as repo
from ..store.engine import Store
from ..store.migrate import ensure_embedded_schema
from ..tenants import load_tenant
from .auth import new_token
from .passwords import WeakPasswordError, hash_password

T = TypeVar("T")

staff_app = typer.Typer(
    help="Staff logins of the handoff console and the API.", no_args_is_help=True
)

TenantOpt = Annotated[str, typer.Option("--tenant", help="The tenant's id")]
EmailOpt = Annotated[str, typer.Option("--email", help="The staff member's email (their login)")]


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password, and whether it was made here (so it must be printed)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            typer.echo("frontdesk staff: the two passwords differ", err=True)
            raise typer.Exit(1)
        return first, False
    return secrets.token_urlsafe(15), True


def _run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except FrontdeskError as e:
        typer.echo(f"frontdesk staff: {e}", err=True)
        raise typer.Exit(1) from e


@staff_app.command("add")
def add(
    tenant: TenantOpt,
    email: EmailOpt,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Add a staff login (or set a new password for an existing one)."""
    settings = settings_or_exit("frontdesk staff", check_keys=False)
    try:
        load_tenant(settings.tenants_dir, tenant)
        password, made = _password(password_stdin)
        encoded = hash_password(password)
    except (FrontdeskError, WeakPasswordError) as e:
        typer.echo(f"frontdesk staff: {e}", err=True)
        raise typer.Exit(1) from e

    async def go() -> bool:
        store = Store.open(settings)
        try:
            await ensure_embedded_schema(store.engine.url)
            async with store.transaction() as s:
                return await repo.add_user(s, tenant=tenant, email=email, password_hash=encoded)
        finally:
            await store.close()

    created = _run(go())
    typer.echo(f"{'added' if created else 'updated'} staff login {email.lower()} of {tenant}")
    if made:
        typer.echo(f"password (shown once): {password}")


@staff_app.command("key")
def key(tenant: TenantOpt, email: EmailOpt) -> None:
    """Print a new API key of a staff login (no expiry; send it as a Bearer token)."""
    settings = settings_or_exit("frontdesk staff", check_keys=False)
    token = new_token("api_key")

    async def go() -> bool:
        store = Store.open(settings)
        try:
            await ensure_embedded_schema(store.engine.url)
            async with store.transaction() as s:
                user = await repo.find_user(s, tenant=tenant, email=email)
                if user is None:
                    return False
                now = datetime.now(UTC)
                await repo.add_token(s, user, token, kind="api_key", now=now, expires_at=None)
                return True
        finally:
            await store.close()

    if not _run(go()):
        typer.echo(f"frontdesk staff: no staff login {email} of {tenant}", err=True)
        raise typer.Exit(1)
    typer.echo(token)
