from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import AttachmentKind, ContactMode, Language
from storage.models import (
    Attachment,
    AuditEvent,
    Case,
    ContactDetail,
    ConversationState,
    Note,
    Reply,
    ReporterLink,
)
from storage.services.attachments import AttachmentService
from storage.services.conversation import ConversationKeys, ConversationStore
from storage.services.intake import ContactChoice
from storage.services.retention import RetentionService
from storage.services.triage import TriageService
from tests.storage.helpers import TO_CLOSED, content_snapshot, make_staff, submit, walk_case
from tgemu import samples


async def count(core: Core, model: type) -> int:
    async with core.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def purge(core: Core, dry_run: bool = False):  # type: ignore[no-untyped-def]
    async with core.database.transaction() as session:
        return await RetentionService(session, core).purge(dry_run=dry_run)


async def close_case(core: Core, ref: str, actor: Actor) -> None:
    await walk_case(core, ref, actor, *TO_CLOSED)


async def test_drafts_expire_after_a_day_idle(core: Core, clock: FrozenClock) -> None:
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_data(ConversationKeys("old", "lang-old"), {"x": 1})
    clock.advance(timedelta(hours=12))
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        await store.set_data(ConversationKeys("fresh", "lang-fresh"), {"y": 2})
    clock.advance(timedelta(hours=12, seconds=1))
    report = await purge(core)
    assert report.drafts == 1
    async with core.database.transaction() as session:
        store = ConversationStore(session, core)
        assert await store.get_data(ConversationKeys("fresh", "lang-fresh")) == {"y": 2}
        assert await store.get_data(ConversationKeys("old", "lang-old")) == {}


async def test_retention_of_a_closed_case(core: Core, clock: FrozenClock) -> None:
    focal = await make_staff(core, "focal", "focal_point")
    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="application/pdf", data=samples.pdf("evidence")
    )
    submitted = await submit(
        core,
        category="fraud_corruption",
        oblast="UA-46",
        attachments=[staged],
        contact=ContactChoice(ContactMode.CHAT, chat_id=42),
    )
    still_open = await submit(core, category="fraud_corruption")
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        await service.add_note(submitted.ref, focal, "internal")
        await service.add_reply(submitted.ref, focal, {Language.UK: "Відповідь"})
    await close_case(core, submitted.ref, focal)
    assert await core.blobs.exists(staged.blob_key)

    # 29 days after closing: nothing yet.
    clock.advance(timedelta(days=29))
    assert (await purge(core)).chat_links == 0
    assert await count(core, ReporterLink) == 1

    # 31 days: the chat link goes, the content stays.
    clock.advance(timedelta(days=2))
    dry = await purge(core, dry_run=True)
    assert dry.chat_links == 1 and await count(core, ReporterLink) == 1  # dry run: unchanged
    assert (await purge(core)).chat_links == 1
    assert await count(core, ReporterLink) == 0
    assert await count(core, Attachment) == 1

    # 366 days: content goes; category, dates, oblast and outcome remain for statistics.
    clock.advance(timedelta(days=335))
    before = await content_snapshot(core)
    dry = await purge(core, dry_run=True)
    assert dry.cases_emptied == 1 and await content_snapshot(core) == before
    report = await purge(core)
    assert report.cases_emptied == 1
    for model in (Attachment, Note, Reply, ContactDetail):
        assert await count(core, model) == 0
    assert not await core.blobs.exists(staged.blob_key)
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == submitted.ref))
        other = await session.scalar(select(Case).where(Case.ref == still_open.ref))
    assert case is not None and other is not None
    assert case.narrative_enc is None and case.narrative is None
    assert case.content_purged_at == clock.now()
    assert (case.category, case.oblast, case.status) == ("fraud_corruption", "UA-46", "closed")
    assert case.closed_at is not None and case.created_at is not None
    assert other.narrative_enc is not None  # an open case is never purged
    async with core.database.transaction() as session:
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("retention.%"))
            )
        ).all()
    assert sorted(actions) == ["retention.chat_link_deleted", "retention.content_deleted"]
    # Running again finds nothing new.
    again = await purge(core)
    assert (again.cases_emptied, again.chat_links) == (0, 0)


async def test_audit_events_are_kept_five_years(core: Core, clock: FrozenClock) -> None:
    await submit(core)
    clock.advance(timedelta(days=5 * 365 - 1))
    assert (await purge(core)).audit_events == 0
    clock.advance(timedelta(days=2))
    assert (await purge(core)).audit_events == 1


async def test_abandoned_staged_files_are_swept(core: Core, clock: FrozenClock) -> None:
    service = AttachmentService(core)
    orphan = await service.stage(
        kind=AttachmentKind.DOCUMENT, mime_type="application/pdf", data=samples.pdf("abandoned")
    )
    linked = await service.stage(
        kind=AttachmentKind.DOCUMENT, mime_type="application/pdf", data=samples.pdf("submitted")
    )
    await submit(core, attachments=[linked])
    # Files carry only their day (issue 18): one written late in a day looks a day older
    # than it is, so the sweep waits a day more than a draft can live.
    clock.advance(timedelta(days=3))
    report = await purge(core)
    assert report.orphan_files == 1
    assert not await core.blobs.exists(orphan.blob_key)
    assert await core.blobs.exists(linked.blob_key)
    assert await count(core, ConversationState) == 0


async def test_purged_words_leave_the_database_files(core: Core, clock: FrozenClock) -> None:
    """After a purge the words are gone from the bytes on disk, the full-text index and
    the write-ahead log included (SQLite); PostgreSQL vacuums the purged tables."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.services.retention import run_purge

    word = "quixoticzebrafinch"
    focal = await make_staff(core, "focal", "focal_point")
    purged = await submit(core, category="assistance_quality", narrative=f"The {word} took it")
    kept = await submit(core, category="assistance_quality", narrative="An open zanzibarcase")
    async with core.database.transaction() as session:
        await TriageService(session, core).add_note(purged.ref, focal, f"note on {word}")
    await close_case(core, purged.ref, focal)
    clock.advance(timedelta(days=366))

    if core.database.dialect == "sqlite":
        database = make_url(core.settings.database_url).database
        assert database
        files = [p for p in __import__("pathlib").Path(database).parent.glob("holos.db*")]

        def raw() -> bytes:
            return b"".join(p.read_bytes() for p in files if p.is_file())

        assert word.encode() in raw()
        report = await run_purge(core)
        assert report.cases_emptied == 1
        await core.database.engine.dispose()
        assert word.encode() not in raw()
        assert b"zanzibarcase" in raw()  # the open case is untouched
    else:
        last_vacuum = text("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'cases'")
        async with core.database.engine.connect() as conn:
            before = await conn.scalar(last_vacuum)
        report = await run_purge(core)
        assert report.cases_emptied == 1
        async with core.database.engine.connect() as conn:
            after = await conn.scalar(last_vacuum)
        assert after is not None and after != before
    # The search still works, on what is left.
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == kept.ref))
        assert case is not None and case.narrative == "An open zanzibarcase"


async def test_the_daily_purge_refreshes_the_planners_statistics(
    core: Core, clock: FrozenClock
) -> None:
    """SQLite keeps no statistics until ANALYZE runs, and without them it picks the date
    index for a rare word or a filtered worklist: the daily purge refreshes them, even
    on a day with nothing to purge."""
    from sqlalchemy import text

    from storage.services.retention import run_purge

    for _ in range(3):
        await submit(core)
    if core.database.dialect == "sqlite":
        stats = text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'cases'")
        async with core.database.engine.connect() as conn:
            await conn.exec_driver_sql("DELETE FROM sqlite_stat1")
            await conn.commit()
            assert await conn.scalar(stats) == 0
    else:
        stats = text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'cases'")
        async with core.database.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql(
                "SELECT pg_stat_reset_single_table_counters('cases'::regclass)"
            )
            assert await autocommit.scalar(stats) == 0
    report = await run_purge(core)
    assert not report.deleted_anything
    async with core.database.engine.connect() as conn:
        assert (await conn.scalar(stats) or 0) > 0
