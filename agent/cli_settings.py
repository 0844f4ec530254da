"""Settings for a ``frontdesk`` command: a bad setting is one line on stderr and exit 2."""

from __future__ import annotations

import typer

from .config import Settings, load_settings
from .errors import FrontdeskError


def settings_or_exit(command: str, *, check_keys: bool = True) -> Settings:
    """The settings, or exit 2 with ``command: <what is wrong>`` (names the variable).
    ``check_keys=False`` for commands that never reach a cloud provider."""
    try:
        return load_settings(check_keys=check_keys)
    except FrontdeskError as e:
        typer.echo(f"{command}: {e}", err=True)
        raise typer.Exit(2) from e
