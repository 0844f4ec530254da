"""A local SMTP sink: a real SMTP server (aiosmtpd) on loopback that stores every message
it receives as an ``.eml`` file, for the demo and the tests.

::

    with MailSink(Path("var/mail")) as sink:      # starts on a free loopback port
        settings = settings.model_copy(update={"smtp_host": sink.host, "smtp_port": sink.port})
        ...                                         # deliver mail through SMTP
        sink.messages()                             # [Path("var/mail/0001-....eml"), ...]

The server runs in aiosmtpd's own thread and event loop (its threaded ``Controller``), so
writing the files never blocks the caller's loop.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from ..errors import StackError
from .processes import free_port


class _EmlWriter:
    """aiosmtpd handler: writes each message's raw bytes to ``<dir>/<n>-<rcpt>.eml``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._numbers = itertools.count(len(list(directory.glob("*.eml"))) + 1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else "unknown"
        safe = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in rcpt)[:80]
        with self._lock:
            path = self.directory / f"{next(self._numbers):04d}-{safe}.eml"
        path.write_bytes(content)  # the sink's own thread and loop, not the caller's
        return "250 Message accepted for delivery"


class MailSink:
    """A real SMTP server on ``127.0.0.1`` that keeps what it receives as ``.eml`` files."""

    def __init__(self, directory: Path, *, port: int | None = None) -> None:
        self.directory = directory
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._controller: Controller | None = None

    def start(self) -> MailSink:
        self.directory.mkdir(parents=True, exist_ok=True)
        controller = Controller(_EmlWriter(self.directory), hostname=self.host, port=self.port)
        try:
            controller.start()
        except (OSError, TimeoutError, RuntimeError) as e:
            raise StackError(f"cannot start the SMTP sink on {self.host}:{self.port}: {e}") from e
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Path]:
        """The stored messages, oldest first."""
        return sorted(self.directory.glob("*.eml"))

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
