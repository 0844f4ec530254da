"""The widget's HTML pages (Jinja2 templates in ``templates/``) and their security headers."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..config import Settings
from .sessions import browser_livekit_url

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: object) -> str:
    return _templates().get_template(name).render(**context)


def content_security_policy(settings: Settings) -> str:
    """Scripts and styles from this dispatcher only; connections to it and to the LiveKit
    server; framed only by this origin and ``FRONTDESK_CORS_ORIGINS``."""
    livekit = urlsplit(browser_livekit_url(settings))
    http_scheme = "https" if livekit.scheme in ("wss", "https") else "http"
    ws_scheme = "wss" if http_scheme == "https" else "ws"
    where = livekit.netloc
    ancestors = " ".join(("'self'", *settings.cors_origins))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "media-src 'self' blob: mediastream:",
            f"connect-src 'self' {ws_scheme}://{where} {http_scheme}://{where}",
            f"frame-ancestors {ancestors}",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def static_files() -> dict[str, Path]:
    """The files under ``static/`` by name: only these are served."""
    return {p.name: p for p in STATIC.iterdir() if p.is_file() and not p.name.startswith(".")}
