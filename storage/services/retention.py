"""Deletion on schedule (docs/privacy-rules.md, "Retention"): ``holos purge`` and the periodic sweep.

- drafts: after ``draft_ttl_hours`` idle;
- reporters' chat links: ``chat_link_days`` after their case closed;
- narratives, additions, attachments, notes, replies and contacts of closed cases:
  ``content_retention_days`` after closing; the case keeps its category, dates, oblast,
  programme and outcome for statistics;
- audit events: after ``audit_retention_days``;
- staged attachment files never linked to a case (abandoned drafts).

After a purge that deleted anything, :func:`run_purge` reclaims the space: SQLite
rebuilds its full-text index and vacuums, PostgreSQL vacuums the purged tables, so the
purged words do not stay in the database files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.enums import AuditAction
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.conversation import ConversationRepository
from storage.repositories.locks import Locks
from storage.repositories.maintenance import reclaim_space, refresh_statistics
from storage.repositories.outbox import OutboxRepository
from storage.repositories.retention import RetentionRepository
from storage.repositories.staff import TokenRepository
from storage.repositories.throttle import ThrottleRepository
from storage.repositories.updates import ProcessedUpdates
from storage.services.audit import AuditLog


@dataclass
class PurgeReport:
    dry_run: bool
    drafts: int = 0
    chat_links: int = 0
    cases_emptied: int = 0
    audit_events: int = 0
    orphan_files: int = 0
    details: dict[str, int] = field(default_factory=dict)

    @property
    def deleted_anything(self) -> bool:
        counts = (self.drafts, self.chat_links, self.cases_emptied, self.audit_events)
        return not self.dry_run and (any(counts) or any(self.details.values()))

    def lines(self) -> list[str]:
        outcome = "to delete" if self.dry_run else "deleted"
        return [
            f"{label}: {count} {outcome}"
            for label, count in (
                ("expired drafts", self.drafts),
                ("reporter chat links", self.chat_links),
                ("closed cases past content retention", self.cases_emptied),
                ("audit events past retention", self.audit_events),
                ("unlinked attachment files", self.orphan_files),
            )
        ]


class RetentionService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.cases = CaseRepository(session)
        self.purges = RetentionRepository(session)
        self.audit = AuditLog(session, core.clock)

    async def purge(self, *, dry_run: bool = False) -> PurgeReport:
        settings = self.core.settings
        now = self.core.clock.now()
        report = PurgeReport(dry_run=dry_run)

        conversations = ConversationRepository(self.session)
        link_cutoff = now - timedelta(days=settings.chat_link_days)
        content_cutoff = now - timedelta(days=settings.content_retention_days)
        audit_cutoff = now - timedelta(days=settings.audit_retention_days)

        link_cases = await self.purges.closed_before_with_link(link_cutoff)
        content_cases = await self.purges.closed_before_with_content(content_cutoff)
        report.chat_links = len(link_cases)
        report.cases_emptied = len(content_cases)
        orphans = await self._orphan_blobs(now)
        report.orphan_files = len(orphans)
        if dry_run:
            report.drafts = await conversations.count_expired(now)
            report.audit_events = await AuditRepository(self.session).count_before(audit_cutoff)
            return report

        report.drafts = await conversations.delete_expired(now)
        await ThrottleRepository(self.session).delete_expired(now)
        await TokenRepository(self.session).delete_expired(now - timedelta(days=30))
        outbox = OutboxRepository(self.session)
        if link_cases:
            await outbox.abandon_for_cases(link_cases, "chat link deleted by retention")
            await self.purges.delete_reporter_links(link_cases)
        for case_id in link_cases:
            case = await self.cases.get(case_id)
            self.audit.record(Actor.system(), AuditAction.RETENTION_CHAT_LINK_DELETED, case=case)
        if content_cases:
            ids = [c.id for c in content_cases]
            keys = await self.purges.attachment_keys(ids)
            await outbox.abandon_for_cases(ids, "content deleted by retention")
            report.details = await self.purges.purge_content(ids)
            await self.purges.clear_narratives(ids, now)
            for case in content_cases:
                self.audit.record(Actor.system(), AuditAction.RETENTION_CONTENT_DELETED, case=case)
            for key in keys:
                await self.core.blobs.delete(key)
        await outbox.delete_finished_before(link_cutoff)
        report.audit_events = await AuditRepository(self.session).delete_before(audit_cutoff)
        for key in orphans:
            await self.core.blobs.delete(key)
        await self.session.flush()
        return report

    async def _orphan_blobs(self, now: datetime) -> list[str]:
        """Staged files no case links to, older than a draft can live."""
        grace = timedelta(hours=self.core.settings.draft_ttl_hours + 1)
        candidates = await self.core.blobs.keys_older_than((now - grace).timestamp())
        linked = await self.purges.all_blob_keys()
        return [key for key in candidates if key not in linked]


# Updates Telegram could still send again: it gives up on an undelivered update after a
# day, so older ids are never needed to recognise a repeat.
PROCESSED_UPDATES_KEPT = timedelta(days=1)
RETENTION_LOCK = "holos:retention"


@dataclass
class ScheduledPurge:
    report: PurgeReport
    updates_forgotten: int


async def scheduled_purge(session: AsyncSession, core: Core) -> ScheduledPurge | None:
    """The purge the long-running process does every day, plus forgetting old update ids;
    None when another instance is purging right now (it holds the lock; this run is
    skipped rather than waiting and repeating the work). The caller commits."""
    if not await Locks(session).try_transaction_lock(RETENTION_LOCK):
        return None
    report = await RetentionService(session, core).purge()
    cutoff = core.clock.now() - PROCESSED_UPDATES_KEPT
    forgotten = await ProcessedUpdates(session).forget_before(cutoff)
    return ScheduledPurge(report, forgotten)


async def run_purge(core: Core, *, dry_run: bool = False) -> PurgeReport:
    """``holos purge``: the purge as one unit of work, then, once it has committed, the
    freed space reclaimed outside any transaction (VACUUM cannot run inside one)."""
    async with core.database.transaction() as session:
        report = await RetentionService(session, core).purge(dry_run=dry_run)
    await reclaim_after(core, report)
    return report


async def reclaim_after(core: Core, report: PurgeReport) -> None:
    """Once a purge has committed: make what it deleted leave the database files, and
    refresh the planner's statistics (the daily purge is the daily maintenance)."""
    if report.deleted_anything:
        await reclaim_space(core.database.engine)
    await refresh_statistics(core.database.engine)
