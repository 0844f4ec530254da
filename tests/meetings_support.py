"""Helpers for the meeting tests: a dispatcher app in the test's loop, the outbox drained
into the real SMTP sink, invitations read back."""

from __future__ import annotations

import email
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import Message
from pathlib import Path

import httpx
from icalendar import Calendar

from agent.config import Settings
from agent.control.app import create_app
from agent.postcall.channels.base import Channels
from agent.postcall.channels.smtp import SmtpChannel
from agent.postcall.outbox import OutboxProcessor
from agent.stack.mail import MailSink
from agent.store import Store
from tests.staff import staff_headers


@asynccontextmanager
async def dispatcher(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The dispatcher's app (its meeting scheduler running) served to an httpx client
    signed in as staff of crumb-and-co."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = await staff_headers(settings, "crumb-and-co")  # the tests' tenant
        async with httpx.AsyncClient(
            transport=transport, base_url="http://dispatcher", headers=headers
        ) as client:
            yield client


async def deliver_mail(settings: Settings, sink: MailSink) -> int:
    """Run the outbox once over ``settings``' store into ``sink``; returns how many sent."""
    store = Store.open(settings)
    smtp = SmtpChannel(host=sink.host, port=sink.port, sender="frontdesk@example.org")
    channels = Channels(email=smtp, webhook=None)  # type: ignore[arg-type]  # email only
    try:
        return (await OutboxProcessor(store, channels).drain()).delivered
    finally:
        await store.close()


def read_mail(path: Path) -> tuple[Message, Calendar | None]:
    mime = email.message_from_bytes(path.read_bytes())
    for part in mime.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return mime, Calendar.from_ical(payload)
    return mime, None


def join_token(calendar: Calendar) -> str:
    (event,) = calendar.walk("VEVENT")
    return str(event["URL"]).split("#", 1)[1]
