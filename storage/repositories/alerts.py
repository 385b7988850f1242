"""Rows of staff alerts: who gets what, the alert outbox, the marks of what a scan raised."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.enums import OPEN_STATUSES, OutboxState, Role
from storage.models import (
    AlertMark,
    AlertMessage,
    Case,
    StaffAlertSettings,
    StaffLinkCode,
    StaffPreference,
    StaffUser,
)
from storage.repositories.base import Repository


class AlertRepository(Repository):
    # Who ---------------------------------------------------------------------------

    async def active_staff(self, roles: Iterable[Role]) -> list[StaffUser]:
        stmt = (
            select(StaffUser)
            .where(StaffUser.is_active.is_(True), StaffUser.role.in_([r.value for r in roles]))
            .order_by(StaffUser.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def staff(self, user_id: int) -> StaffUser | None:
        return await self.session.get(StaffUser, user_id)

    async def settings_of(self, user_ids: Sequence[int]) -> dict[int, StaffAlertSettings]:
        if not user_ids:
            return {}
        stmt = select(StaffAlertSettings).where(StaffAlertSettings.user_id.in_(list(user_ids)))
        return {row.user_id: row for row in (await self.session.scalars(stmt)).all()}

    async def settings(self, user_id: int) -> StaffAlertSettings | None:
        return await self.session.get(StaffAlertSettings, user_id)

    async def language(self, user_id: int) -> str | None:
        row = await self.session.get(StaffPreference, user_id)
        return row.language if row else None

    def add(self, row: StaffAlertSettings | StaffLinkCode | AlertMessage | AlertMark) -> None:
        self.session.add(row)

    # Link codes ----------------------------------------------------------------------

    async def link_code(self, code_hash: str) -> StaffLinkCode | None:
        return await self.session.get(StaffLinkCode, code_hash)

    async def spend_link_code(self, code_hash: str, at: datetime) -> int | None:
        """Mark an unused, unexpired code spent; its account, or None (one UPDATE, so two
        chats with the same code cannot both win)."""
        result = await self.session.execute(
            update(StaffLinkCode)
            .where(
                StaffLinkCode.code_hash == code_hash,
                StaffLinkCode.used_at.is_(None),
                StaffLinkCode.expires_at > at,
            )
            .values(used_at=at)
            .returning(StaffLinkCode.user_id)
            .execution_options(synchronize_session=False)
        )
        row = result.first()
        return None if row is None else int(row[0])

    async def drop_link_codes(self, user_id: int) -> None:
        await self.session.execute(delete(StaffLinkCode).where(StaffLinkCode.user_id == user_id))

    # The outbox ----------------------------------------------------------------------

    async def get(self, alert_id: int) -> AlertMessage | None:
        return await self.session.get(AlertMessage, alert_id)

    async def due(self, now: datetime, limit: int) -> list[AlertMessage]:
        """Pending alerts whose time has come, and claims a crashed worker left behind."""
        stmt = (
            select(AlertMessage)
            .where(
                or_(
                    and_(
                        AlertMessage.state == OutboxState.PENDING,
                        AlertMessage.next_attempt_at <= now,
                    ),
                    and_(
                        AlertMessage.state == OutboxState.SENDING,
                        AlertMessage.claimed_until < now,
                    ),
                )
            )
            .order_by(AlertMessage.next_attempt_at, AlertMessage.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            # Several instances may run alert workers: each row goes to exactly one.
            stmt = stmt.with_for_update(skip_locked=True)
        return list((await self.session.scalars(stmt)).all())

    async def backlog(self) -> int:
        stmt = select(func.count()).where(
            AlertMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING])
        )
        return int(await self.session.scalar(stmt) or 0)

    async def for_user(self, user_id: int) -> list[AlertMessage]:
        stmt = select(AlertMessage).where(AlertMessage.user_id == user_id)
        return list((await self.session.scalars(stmt)).all())

    async def delete_finished_before(self, cutoff: datetime) -> int:
        return await self.execute_counted(
            delete(AlertMessage).where(
                AlertMessage.state.in_([OutboxState.SENT, OutboxState.UNDELIVERABLE]),
                AlertMessage.created_at < cutoff,
            )
        )

    async def forget_before(self, *, finished: datetime, marks: datetime, codes: datetime) -> None:
        """Retention: sent or abandoned alerts, marks no scan looks back to, dead codes."""
        await self.delete_finished_before(finished)
        await self.session.execute(delete(AlertMark).where(AlertMark.created_at < marks))
        await self.session.execute(delete(StaffLinkCode).where(StaffLinkCode.expires_at < codes))

    # Scans ---------------------------------------------------------------------------

    async def claim_marks(self, keys: Sequence[str], at: datetime) -> set[str]:
        """Record the marks not yet recorded; the keys this call recorded. Two instances'
        scans racing: the second waits for the first's commit, then records nothing."""
        if not keys:
            return set()
        known = set(
            (
                await self.session.scalars(
                    select(AlertMark.key).where(AlertMark.key.in_(list(keys)))
                )
            ).all()
        )
        fresh = [key for key in keys if key not in known]
        if not fresh:
            return set()
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        stmt = (
            insert(AlertMark)
            .values([{"key": key, "created_at": at} for key in fresh])
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(AlertMark.key)
        )
        return set((await self.session.scalars(stmt)).all())

    async def unacknowledged_past(
        self, *, due_before: datetime, due_after: datetime, sensitive_only: bool, limit: int
    ) -> list[Case]:
        """New cases whose acknowledgement was due in (due_after, due_before]."""
        stmt = (
            select(Case)
            .where(
                Case.acknowledged_at.is_(None),
                Case.status.in_([s.value for s in OPEN_STATUSES]),
                Case.content_purged_at.is_(None),
                Case.acknowledge_due_at <= due_before,
                Case.acknowledge_due_at > due_after,
            )
            .order_by(Case.acknowledge_due_at, Case.id)
            .limit(limit)
        )
        if sensitive_only:
            stmt = stmt.where(Case.sensitive.is_(True))
        return list((await self.session.scalars(stmt)).all())

    async def created_unacknowledged(
        self, *, created_before: datetime, created_after: datetime, limit: int
    ) -> list[Case]:
        """Sealed cases that entered the sealed channel in (created_after,
        created_before], filed there or moved there later, that nobody acknowledged."""
        entered = func.coalesce(Case.sealed_at, Case.created_at)
        stmt = (
            select(Case)
            .where(
                Case.sensitive.is_(True),
                Case.acknowledged_at.is_(None),
                Case.status.in_([s.value for s in OPEN_STATUSES]),
                entered <= created_before,
                entered > created_after,
            )
            .order_by(entered, Case.id)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def due_between(self, start: datetime, end: datetime) -> list[tuple[bool, int | None]]:
        """(sensitive, assignee) of each open case with a due time in [start, end): its
        acknowledgement when not acknowledged, else its resolution."""
        ack_due = and_(
            Case.acknowledged_at.is_(None),
            Case.acknowledge_due_at >= start,
            Case.acknowledge_due_at < end,
        )
        resolve_due = and_(
            Case.acknowledged_at.is_not(None),
            Case.resolve_due_at >= start,
            Case.resolve_due_at < end,
        )
        stmt = select(Case.sensitive, Case.assignee_id).where(
            Case.status.in_([s.value for s in OPEN_STATUSES]), or_(ack_due, resolve_due)
        )
        return [(bool(s), a) for s, a in (await self.session.execute(stmt)).all()]
