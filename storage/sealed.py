"""Sealed content: what is encrypted, under which context, and how it is read back.

Each encrypted column binds its own context string as AEAD associated data, so a
ciphertext moved to another column does not open. The strings are stored in nothing
but are part of every ciphertext: changing one makes existing data unreadable, which
is why they are listed here once (and pinned by ``tests/storage/test_sealed.py``).

Case content follows one rule: plain when the case is standard (so it can be
searched), encrypted when it is sensitive. :meth:`Sealer.split` writes by that rule and
:meth:`Sealer.read` reads either form back.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from storage.crypto import Crypto
from storage.models import Reply


class Context(StrEnum):
    """The AEAD associated data of each encrypted column or blob."""

    NARRATIVE = "cases.narrative"
    ADDITION = "case_additions.body"
    NOTE = "notes.body"
    REPLY = "replies.bodies"
    CONTACT = "contact_details.contact"
    CHAT = "reporter_links.chat"
    CHAT_SENT = "reporter_links.sent"
    CONVERSATION = "conversation_states.data"
    BLOB = "attachments.blob"
    ATTACHMENT_TEXT = "attachments.text"
    TOTP = "staff_users.totp_secret"
    TOTP_PENDING = "console_sessions.pending_totp"
    STAFF_CHAT = "staff_alert_settings.telegram_chat"


class Sealer:
    """Encrypts and decrypts case content under its context, by the sensitivity rule."""

    def __init__(self, crypto: Crypto) -> None:
        self.crypto = crypto

    def seal(self, text: str, context: Context) -> bytes:
        return self.crypto.encrypt_text(text, context)

    def open(self, blob: bytes, context: Context) -> str:
        return self.crypto.decrypt_text(blob, context)

    def seal_json(self, value: Any, context: Context) -> bytes:
        return self.seal(json.dumps(value, ensure_ascii=False), context)

    def open_json(self, blob: bytes, context: Context) -> Any:
        return json.loads(self.open(blob, context))

    def split(
        self, text: str | None, context: Context, *, sensitive: bool
    ) -> tuple[str | None, bytes | None]:
        """``(plain, sealed)`` for a text column pair: one holds it, the other is None.

        An empty text is stored as nothing at all.
        """
        if not text:
            return None, None
        if sensitive:
            return None, self.seal(text, context)
        return text, None

    def read(self, plain: str | None, sealed: bytes | None, context: Context) -> str | None:
        """The text of a column pair written by :meth:`split`."""
        if sealed is not None:
            return self.open(sealed, context)
        return plain

    def reply_bodies(self, reply: Reply) -> dict[str, str]:
        """A public reply's text per language, whichever way it was stored."""
        if reply.bodies_enc is not None:
            return dict(self.open_json(reply.bodies_enc, Context.REPLY))
        return dict(reply.bodies or {})

    def seal_reply_bodies(
        self, bodies: dict[str, str], *, sensitive: bool
    ) -> tuple[dict[str, str] | None, bytes | None]:
        if sensitive:
            # Kept as before: ASCII-escaped JSON (the encoding does not change what opens).
            return None, self.seal(json.dumps(bodies), Context.REPLY)
        return bodies, None


def reply_text(bodies: dict[str, str], *preferred: str) -> str:
    """The reply in the first preferred language it was written in, else any."""
    for language in preferred:
        if bodies.get(language):
            return bodies[language]
    return next(iter(bodies.values()))
