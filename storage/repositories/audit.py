from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from storage.models import AuditEvent, Case
from storage.repositories.base import Repository


@dataclass
class AuditFilter:
    case_id: int | None = None
    actor_id: int | None = None
    actions: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    sensitive_only: bool = False


class AuditRepository(Repository):
    def add(self, event: AuditEvent) -> None:
        self.session.add(event)

    async def for_case(self, case_id: int) -> list[AuditEvent]:
        stmt = (
            select(AuditEvent)
            .where(AuditEvent.case_id == case_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def page(
        self, flt: AuditFilter, *, before_id: int | None, limit: int
    ) -> list[AuditEvent]:
        """Newest first; ``before_id`` continues from the previous page."""
        stmt = select(AuditEvent)
        if flt.case_id is not None:
            stmt = stmt.where(AuditEvent.case_id == flt.case_id)
        if flt.actor_id is not None:
            stmt = stmt.where(AuditEvent.actor_id == flt.actor_id)
        if flt.actions:
            stmt = stmt.where(AuditEvent.action.in_(list(flt.actions)))
        if flt.since is not None:
            stmt = stmt.where(AuditEvent.at >= flt.since)
        if flt.until is not None:
            stmt = stmt.where(AuditEvent.at < flt.until)
        if flt.sensitive_only:
            stmt = stmt.where(AuditEvent.sensitive.is_(True))
        if before_id is not None:
            stmt = stmt.where(AuditEvent.id < before_id)
        stmt = stmt.order_by(AuditEvent.id.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def sensitive_cases(self, case_ids: Sequence[int]) -> set[int]:
        """Which of these cases are sensitive now (moved into the sealed channel or not)."""
        if not case_ids:
            return set()
        stmt = select(Case.id).where(Case.id.in_(sorted(set(case_ids))), Case.sensitive.is_(True))
        return set((await self.session.scalars(stmt)).all())

    async def delete_before(self, cutoff: datetime) -> int:
        return await self.execute_counted(delete(AuditEvent).where(AuditEvent.at < cutoff))

    async def count_before(self, cutoff: datetime) -> int:
        stmt = select(func.count()).where(AuditEvent.at < cutoff)
        return int(await self.session.scalar(stmt) or 0)
