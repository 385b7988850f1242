"""A case's page (TriageService.detail) reads the case with its contact and chat link in
one statement, and then only the lists that hold something (issue 9)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from storage.core import Core
from storage.enums import AttachmentKind, ContactMode, Language
from storage.services.attachments import AttachmentService
from storage.services.intake import ContactChoice, IntakeService
from storage.services.triage import CaseChanges, TriageService
from tests.storage.helpers import make_staff, submit


@contextmanager
def statements(core: Core) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    engine = core.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_case_with_empty_lists_is_read_in_one_statement(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    submitted = await submit(core)
    async with core.database.read_only() as session:
        with statements(core) as sent:
            detail = await TriageService(session, core).detail(submitted.ref, operator)
        # The case with its tags, contact, chat link and list flags.
        assert len(sent) == 1, sent
        assert detail.case.ref == submitted.ref
        assert (detail.contact, detail.reply_in_chat) == (None, False)
        assert detail.additions == detail.attachments == detail.notes == detail.replies == []


async def test_a_case_page_shows_every_list_and_contact(core: Core) -> None:
    focal = await make_staff(core, "focal", "focal_point")
    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="text/plain", data=b"receipt", filename="r.txt"
    )
    typed = await submit(
        core,
        category="fraud_corruption",
        contact=ContactChoice(ContactMode.TYPED, typed="+380501234567"),
        attachments=[staged],
    )
    chat = await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=555))
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        case = await service.get_visible(typed.ref, focal, audit_read=False)
        await IntakeService(session, core).add_reporter_info(case.id, text="Ще одна деталь.")
        await service.add_note(typed.ref, focal, "Called the partner office.")
        await service.add_reply(typed.ref, focal, {Language.UK: "Дякуємо."})
    async with core.database.read_scope() as session:  # the API's: the read is audited after
        detail = await TriageService(session, core).detail(typed.ref, focal)
        linked = await TriageService(session, core).detail(chat.ref, focal)
    assert detail.contact == "+380501234567" and not detail.reply_in_chat
    assert [a.text for a in detail.additions] == ["Ще одна деталь."]
    assert [a.name for a in detail.attachments] == ["document-1.txt"]
    assert [n.text for n in detail.notes] == ["Called the partner office."]
    assert [r.texts for r in detail.replies] == [{"uk": "Дякуємо."}]
    assert linked.reply_in_chat and linked.contact is None


async def test_a_tagged_case_is_read_in_one_statement_with_its_tags(core: Core) -> None:
    focal = await make_staff(core, "focal", "focal_point")
    submitted = await submit(core, contact=ContactChoice(ContactMode.CHAT, chat_id=555))
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            submitted.ref,
            focal,
            expected_version=None,
            changes=CaseChanges(tags=["cash", "b-tag", "a-tag"]),
        )
    async with core.database.read_only() as session:
        with statements(core) as sent:
            detail = await TriageService(session, core).detail(submitted.ref, focal)
        assert len(sent) == 1, sent
        assert [t.tag for t in detail.case.tags] == ["a-tag", "b-tag", "cash"]
        assert detail.reply_in_chat
