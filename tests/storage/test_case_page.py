"""A case's page (TriageService.detail) reads the case with its contact and chat link in
one statement, and then only the lists that hold something (issue 9)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from storage.core import Core
from storage.enums import AttachmentKind, ContactMode, Language
from storage.repositories.case_page import _HEAD
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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_page_looks_every_table_up_by_index_once_statistics_exist(
    core: Core, database_url: str
) -> None:
    """With SQLite's statistics of a real database (``ANALYZE``, as the seeder and a
    long-running deployment have them), the page's one statement looks everything up by
    index. A full index of ``duplicate_of_id``, nearly all NULLs, made the statistics say
    a lookup returns the whole table, and the page scanned every case to ask whether one
    has duplicates (70 ms a page at 100,000 cases); the index is partial now (0026).
    PostgreSQL's statistics keep the NULL fraction apart: its plan never did this."""
    path = database_url.removeprefix("sqlite+aiosqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
            "INSERT INTO cases (ref, receipt_hash, category, sensitive, priority, status, "
            "oblast, language, channel, contact_mode, created_at, updated_at, "
            "public_updated_at, acknowledge_due_at, resolve_due_at, version) "
            "SELECT printf('HL-2026-%06d', i), printf('%064x', i), 'assistance_quality', "
            "i % 10 = 0, 'normal', 'new', 'UA-63', 'uk', 'telegram', 'anonymous', "
            "'2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', "
            "'2026-01-01 00:00:00.000000', '2026-01-04 00:00:00.000000', "
            "'2026-01-31 00:00:00.000000', 1 FROM n"
        )
        db.execute("ANALYZE")
        for key, statement in _HEAD.items():
            compiled = statement.compile(dialect=core.database.engine.dialect)
            values = {"ref": "HL-2026-000001", "reader": 1, "viewer": 1}
            params = [values.get(n, compiled.params.get(n)) for n in compiled.positiontup or ()]
            plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {compiled}", params)]
            assert plan and not [step for step in plan if step.startswith("SCAN")], (key, plan)
