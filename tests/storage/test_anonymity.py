"""No Telegram identity anywhere in the data (docs/privacy-rules.md): every row of every table, dumped."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.core import Core
from storage.enums import AttachmentKind, ContactMode, Language
from storage.services.attachments import AttachmentService
from storage.services.conversation import ConversationKeys, ConversationStore
from storage.services.intake import ContactChoice, IntakeService
from storage.services.ratings import RatingService
from storage.services.triage import TriageService
from tests.storage.helpers import Reporters, dump_rows, dump_text, make_staff, submit
from tgemu import samples

USER_ID = 7_214_589_361
USERNAME = "olha_kovalenko_83"
FIRST_NAME = "Ольга"
LAST_NAME = "Коваленко"


def identity_forms() -> list[str]:
    """The user's identity in every encoding we can think of."""
    forms = [
        str(USER_ID),
        format(USER_ID, "x"),
        format(USER_ID, "X"),
        USER_ID.to_bytes(8, "little").hex(),
        USER_ID.to_bytes(8, "big").hex(),
        USER_ID.to_bytes(8, "little").decode("latin-1"),
        USER_ID.to_bytes(8, "big").decode("latin-1"),
        USERNAME,
        USERNAME.lower(),
        FIRST_NAME,
        LAST_NAME,
        FIRST_NAME.encode().hex(),
        LAST_NAME.encode().hex(),
        USERNAME.encode().hex(),
    ]
    import base64

    forms.append(base64.b64encode(str(USER_ID).encode()).decode().rstrip("="))
    return forms


async def test_nothing_identifies_the_reporter(core: Core, tmp_path: Path) -> None:
    person = core.crypto.person(USER_ID)
    keys = ConversationKeys(
        person.draft("1:2::default", core.clock.now().date()), person.language()
    )
    people = Reporters(core)
    # A draft, as the bot keeps it mid-flow (per-person keys, content encrypted).
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_state(keys, "Report:description")
        await store.set_data(
            keys,
            {"category": "fraud_corruption", "parts": ["Нотатка чернетки"], "chat": USER_ID},
        )
    # Reports with every contact preference, including replies in this chat.
    photo = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT,
        mime_type="application/pdf",
        data=samples.pdf("receipt"),
        filename=f"{USERNAME}.pdf",
    )
    chat = await submit(
        core,
        category="fraud_corruption",
        contact=ContactChoice(ContactMode.CHAT, chat_id=USER_ID),
        attachments=[photo],
    )
    await submit(core, contact=ContactChoice(ContactMode.TYPED, typed="+380 67 123 45 67"))
    await submit(core, category="trafficking")
    operator = await make_staff(core, "oper", "operator")
    focal = await make_staff(core, "focal", "focal_point")
    async with core.database.transaction() as session:
        service = IntakeService(session, core)
        found = await service.lookup_receipt(chat.receipt_code, misses=people.misses(USER_ID))
        assert found is not None
        await service.add_reporter_info(found.id, text="Додаю ще.")
        await TriageService(session, core).add_reply(chat.ref, focal, {Language.UK: "Дякуємо"})
        # Failed lookups are counted per person (outside the database) and globally.
        await service.lookup_receipt("1" * 16, misses=people.misses(USER_ID))
    async with core.database.transaction() as session:
        await RatingService(session, core).rate_assistance(
            programme="cash",
            score=2,
            reasons=["waiting_time"],
            comment="Довго",
            language=Language.UK,
        )
    assert operator.user_id is not None

    dump = await dump_rows(core)
    text = dump_text(dump)
    for form in identity_forms():
        assert form not in text, f"identity leaked as {form!r}"
    # The raw database file too, on SQLite (WAL included).
    if core.settings.is_sqlite:
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("holos.db*") if p.is_file()).decode(
            "latin-1"
        )
        for form in identity_forms():
            assert form not in raw
    # Sanity: the dump is real and holds what was written.
    assert "fraud_corruption" in text and "Довго" in text
    assert sum(len(rows) for rows in dump.values()) > 10


@pytest.mark.parametrize("form", identity_forms())
def test_identity_forms_are_distinct_and_nonempty(form: str) -> None:
    assert len(form) >= 4
