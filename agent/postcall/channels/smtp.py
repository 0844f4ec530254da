"""Email over SMTP (aiosmtplib): any mail server, or the local sink in the demo and tests.

The outbox idempotency key becomes the ``Message-ID`` (``:`` as ``.``), so a message re-sent after a
crash between sending and recording it can be recognised as the same one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate

import aiosmtplib

from ...config import Settings
from ...errors import DeliveryError
from ..messages import EmailMessage

# SMTP reply codes that retrying will not fix (mailbox unknown, policy, syntax).
_PERMANENT = range(500, 600)


@dataclass(frozen=True, kw_only=True)
class SmtpChannel:
    host: str
    port: int = 25
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 30.0
    name: str = "smtp"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpChannel:
        if not settings.smtp_host:
            raise ValueError("FRONTDESK_SMTP_HOST is not set")
        password = settings.smtp_password
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
            starttls=settings.smtp_starttls,
        )

    def build(self, message: EmailMessage, *, idempotency_key: str) -> MimeMessage:
        mime = MimeMessage()
        mime["From"] = self.sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(localtime=False, usegmt=True)
        domain = self.sender.rsplit("@", 1)[-1].strip(" >") or "frontdesk.local"
        local = re.sub(r"[^A-Za-z0-9._-]", ".", idempotency_key)  # a dot-atom
        mime["Message-ID"] = f"<{local}@{domain}>"
        mime.set_content(message.text)
        for part in message.attachments:
            subtype, *params = (p.strip() for p in part.content_type[5:].split(";"))
            mime.add_attachment(
                part.content,
                subtype=subtype,
                filename=part.filename,
                params=dict(p.split("=", 1) for p in params),
            )
        return mime

    async def send(self, message: EmailMessage, *, idempotency_key: str) -> None:
        mime = self.build(message, idempotency_key=idempotency_key)
        try:
            await aiosmtplib.send(
                mime,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.port == 465,  # implicit TLS (SMTPS); 587 and 25 use STARTTLS
                start_tls=self.starttls,
                timeout=self.timeout_s,
            )
        except aiosmtplib.SMTPResponseException as e:
            raise DeliveryError(
                f"SMTP {self.host}:{self.port} refused the {message.purpose} email: "
                f"{e.code} {e.message}",
                retryable=e.code not in _PERMANENT,
            ) from e
        except (aiosmtplib.SMTPException, OSError) as e:
            raise DeliveryError(
                f"SMTP {self.host}:{self.port} unreachable for the {message.purpose} email: {e}",
                retryable=True,
            ) from e
