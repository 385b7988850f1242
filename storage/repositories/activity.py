"""What is new on a case for one staff member (:class:`storage.models.CaseActivity`,
:class:`storage.models.CaseSeen`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import Case, CaseActivity, CaseSeen
from storage.repositories.base import Repository
from storage.repositories.filters import CaseFilter, case_conditions


def _new_to(user_id: int, since: datetime) -> list[ColumnElement[bool]]:
    """Activity since ``since`` for this person (or for everyone) after what they last
    saw of its case; the query joins :class:`CaseSeen` for them, outer. ``since`` bounds
    the work by recent activity (its index), whatever the table's size."""
    return [
        CaseActivity.at >= since,
        or_(CaseActivity.user_id.is_(None), CaseActivity.user_id == user_id),
        CaseActivity.id > func.coalesce(CaseSeen.activity_id, 0),
    ]


def _seen_by(user_id: int) -> ColumnElement[bool]:
    return and_(CaseSeen.case_id == CaseActivity.case_id, CaseSeen.user_id == user_id)


class ActivityRepository(Repository):
    def add(self, row: CaseActivity) -> None:
        self.session.add(row)

    async def mark_seen(self, user_id: int, case_id: int, at: datetime, activity_id: int) -> None:
        """Upsert: the opening's time, and the newest activity it showed unless a later
        opening recorded a newer one already (two tabs, two requests)."""
        insert: Any = pg_insert if self.dialect == "postgresql" else sqlite_insert
        stmt = insert(CaseSeen).values(
            user_id=user_id, case_id=case_id, seen_at=at, activity_id=activity_id
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[CaseSeen.user_id, CaseSeen.case_id],
            set_={"seen_at": stmt.excluded.seen_at, "activity_id": stmt.excluded.activity_id},
            where=CaseSeen.activity_id <= stmt.excluded.activity_id,
        )
        await self.session.execute(stmt)

    async def new_for(
        self, user_id: int, case_ids: Sequence[int], *, since: datetime
    ) -> dict[int, set[str]]:
        """For each of these cases with something new to this person: what kinds."""
        if not case_ids:
            return {}
        stmt = (
            select(CaseActivity.case_id, CaseActivity.kind)
            .distinct()
            .outerjoin(CaseSeen, _seen_by(user_id))
            .where(CaseActivity.case_id.in_(list(case_ids)), *_new_to(user_id, since))
        )
        found: dict[int, set[str]] = {}
        for case_id, kind in await self.session.execute(stmt):
            found.setdefault(case_id, set()).add(kind)
        return found

    async def new_by_status(
        self,
        user_id: int,
        flt: CaseFilter,
        *,
        may_see_sensitive: bool,
        now: datetime,
        since: datetime,
    ) -> dict[str, int]:
        """How many cases matching the worklist's filter (and the visibility rule) have
        something new to this person, per status."""
        conditions = case_conditions(
            flt, dialect=self.dialect, may_see_sensitive=may_see_sensitive, now=now
        )
        stmt = (
            select(Case.status, func.count(distinct(Case.id)))
            .select_from(CaseActivity)
            .join(Case, Case.id == CaseActivity.case_id)
            .outerjoin(CaseSeen, _seen_by(user_id))
            .where(*_new_to(user_id, since), *conditions)
            .group_by(Case.status)
        )
        return {str(status): int(n) for status, n in await self.session.execute(stmt)}
