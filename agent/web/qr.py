"""A campaign's QR code: its widget URL, drawn by segno as SVG or PNG."""

from __future__ import annotations

import io
from typing import Literal
from urllib.parse import quote

import segno

from ..config import Settings

QrKind = Literal["svg", "png"]
MEDIA_TYPES: dict[QrKind, str] = {"svg": "image/svg+xml", "png": "image/png"}


def public_base(settings: Settings) -> str:
    """Where visitors reach the dispatcher: ``FRONTDESK_PUBLIC_URL``, else this machine."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return f"http://127.0.0.1:{settings.dispatcher_port}"


def widget_url(settings: Settings, tenant: str, campaign: str) -> str:
    return f"{public_base(settings)}/w/{quote(tenant)}/{quote(campaign)}"


def qr_code(url: str, kind: QrKind, *, scale: int = 8) -> bytes:
    """The QR code of ``url`` (error correction M: readable with a fifth of it smudged),
    with the standard four-module quiet zone."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind=kind, scale=scale, border=4, dark="#000", light="#fff")
    return out.getvalue()
