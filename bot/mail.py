"""Sending e-mail: an SMTP server (``HOLOS_SMTP_URL``), or the sandbox's mail sink.

``smtp://host[:587]`` speaks plain SMTP and then requires STARTTLS; ``smtps://host[:465]``
speaks TLS from the first byte. A user and password in the URL log in. The server's
certificate is checked against the system's CAs, and ``HOLOS_SMTP_CA_FILE`` when set.

What a failure means for the alert worker: :class:`AddressRefused` (the server refused
the recipient with a 5xx) is for good, and the address is marked; :class:`MailDelayed`
(no connection, a 4xx, a timeout, our own login refused) is tried again later.
"""

from __future__ import annotations

import ssl
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

TIMEOUT = 30.0
SINK_SIZE = 200


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class AddressRefused(Exception):
    """The mail server refused the recipient for good (SMTP 5xx)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"recipient refused: {code}")
        self.code = code


class MailDelayed(Exception):
    """Not sent this time; worth trying again later."""


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


def message_of(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    # Alerts are read by people; an auto-responder should not answer them.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    return message


class SmtpMailer:
    def __init__(self, url: str, sender: str, *, ca_file: Path | None = None) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.context = ssl.create_default_context()
        if ca_file is not None:
            self.context.load_verify_locations(cafile=str(ca_file))

    async def send(self, mail: Mail) -> None:
        try:
            await aiosmtplib.send(
                message_of(mail, self.sender),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.tls,
                start_tls=not self.tls,  # smtp:// requires STARTTLS, never plain
                tls_context=self.context,
                timeout=TIMEOUT,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if codes and all(code >= 500 for code in codes):
                raise AddressRefused(codes[0]) from None
            raise MailDelayed(f"recipient deferred: {codes[0] if codes else '?'}") from None
        except aiosmtplib.SMTPResponseException as exc:
            # Our sender or login refused, or the message deferred: not the address's fault.
            raise MailDelayed(f"{type(exc).__name__} {exc.code}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError, ssl.SSLError) as exc:
            raise MailDelayed(type(exc).__name__) from None


@dataclass(frozen=True)
class SunkMail:
    at: datetime
    to: str
    subject: str
    body: str


@dataclass
class MailSink:
    """The sandbox's mailbox: what would have been sent, newest first, in memory."""

    sent: deque[SunkMail] = field(default_factory=lambda: deque(maxlen=SINK_SIZE))

    async def send(self, mail: Mail) -> None:
        self.sent.appendleft(SunkMail(datetime.now(UTC), mail.to, mail.subject, mail.body))
