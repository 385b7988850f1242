"""Sealed content: the encryption contexts are part of every stored ciphertext, so they
are pinned here letter for letter; content is plain when standard, sealed when sensitive."""

from __future__ import annotations

import pytest

from storage.crypto import Crypto, DecryptionError
from storage.models import Reply
from storage.sealed import Context, Sealer, reply_text

# What data already on disk was encrypted under. Never edit these: a changed string
# makes every existing ciphertext of that column unreadable.
STORED_CONTEXTS = {
    "NARRATIVE": "cases.narrative",
    "ADDITION": "case_additions.body",
    "NOTE": "notes.body",
    "REPLY": "replies.bodies",
    "CONTACT": "contact_details.contact",
    "CHAT": "reporter_links.chat",
    "CONVERSATION": "conversation_states.data",
    "BLOB": "attachments.blob",
    "ATTACHMENT_TEXT": "attachments.text",
    "TOTP": "staff_users.totp_secret",
    "TOTP_PENDING": "console_sessions.pending_totp",
    "STAFF_CHAT": "staff_alert_settings.telegram_chat",
    "CHAT_SENT": "reporter_links.sent",
}


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(Crypto([b"s" * 40], receipt_time_cost=1, receipt_memory_kib=64))


def test_the_contexts_are_the_stored_strings() -> None:
    assert {c.name: c.value for c in Context} == STORED_CONTEXTS


@pytest.mark.parametrize("name", sorted(STORED_CONTEXTS))
def test_ciphertext_under_the_literal_string_opens_under_its_context(
    sealer: Sealer, name: str
) -> None:
    # As data written before the contexts were gathered here was encrypted.
    old = sealer.crypto.encrypt_text("було", STORED_CONTEXTS[name])
    assert sealer.open(old, Context[name]) == "було"


def test_a_ciphertext_does_not_open_under_another_context(sealer: Sealer) -> None:
    sealed = sealer.seal("текст", Context.NARRATIVE)
    with pytest.raises(DecryptionError):
        sealer.open(sealed, Context.ADDITION)


def test_standard_content_is_plain_and_sensitive_content_sealed(sealer: Sealer) -> None:
    assert sealer.split("видно", Context.NOTE, sensitive=False) == ("видно", None)
    plain, sealed = sealer.split("приховано", Context.NOTE, sensitive=True)
    assert plain is None and sealed is not None and "приховано".encode() not in sealed
    assert sealer.read(plain, sealed, Context.NOTE) == "приховано"
    assert sealer.read("видно", None, Context.NOTE) == "видно"
    assert sealer.split("", Context.NOTE, sensitive=True) == (None, None)


def test_reply_bodies_read_back_either_way(sealer: Sealer) -> None:
    bodies = {"uk": "Дякуємо", "en": "Thank you"}
    plain, sealed = sealer.seal_reply_bodies(bodies, sensitive=True)
    assert plain is None and sealed is not None
    assert sealer.reply_bodies(Reply(bodies=None, bodies_enc=sealed)) == bodies
    plain, sealed = sealer.seal_reply_bodies(bodies, sensitive=False)
    assert sealer.reply_bodies(Reply(bodies=plain, bodies_enc=sealed)) == bodies
    assert reply_text(bodies, "ru", "en") == "Thank you"
    assert reply_text(bodies, "ru") in bodies.values()
