"""The case export's reads: cases oldest first in keyset batches, as plain rows.

Each batch is read in its own short transaction by the caller
(:mod:`storage.services.exports`), so a year of data never sits in memory and, on
SQLite, an export never holds a lock while a client downloads slowly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import literal, select, tuple_

from storage.breakdowns import DIMENSIONS
from storage.models import Case, CaseTag
from storage.repositories.base import Repository
from storage.repositories.filters import CaseFilter, case_conditions

_COLUMNS = (
    Case.id,
    Case.ref,
    Case.created_at,
    Case.category,
    Case.sensitive,
    Case.priority,
    Case.status,
    Case.oblast,
    Case.programme,
    Case.language,
    Case.channel,
    Case.acknowledge_due_at,
    Case.acknowledged_at,
    Case.resolve_due_at,
    Case.resolved_at,
    Case.closed_at,
    Case.handling_score,
    Case.assignee_id,
    Case.contact_mode,
    Case.narrative,
)
# The exported columns: the ones above and every breakdown's (storage.breakdowns), so a
# dimension added there is read for its export column without a change here.
EXPORT_COLUMNS = _COLUMNS + tuple(
    d.column for d in DIMENSIONS if all(d.column is not c for c in _COLUMNS)
)


class ExportRepository(Repository):
    async def case_batch(
        self,
        flt: CaseFilter,
        *,
        may_see_sensitive: bool,
        now: datetime,
        after: tuple[datetime, int] | None,
        limit: int,
    ) -> list[Any]:
        """Cases oldest first: the worklist's filters and its ``sort=created`` order.

        Plain rows of the exported columns, not ORM objects (several times faster for a
        year of cases). The keyset is a row-value comparison, which both engines answer
        from the ``(created_at, id)`` index.
        """
        conditions = case_conditions(
            flt, dialect=self.dialect, may_see_sensitive=may_see_sensitive, now=now
        )
        stmt = select(*EXPORT_COLUMNS).where(*conditions)
        if after is not None:
            key = tuple_(literal(after[0], type_=Case.created_at.type), literal(after[1]))
            stmt = stmt.where(tuple_(Case.created_at, Case.id) > key)
        stmt = stmt.order_by(Case.created_at, Case.id).limit(limit)
        return list((await self.session.execute(stmt)).all())

    async def tags_of(self, case_ids: Sequence[int]) -> dict[int, list[str]]:
        tags: dict[int, list[str]] = {}
        if not case_ids:
            return tags
        stmt = (
            select(CaseTag.case_id, CaseTag.tag)
            .where(CaseTag.case_id.in_(list(case_ids)))
            .order_by(CaseTag.case_id, CaseTag.tag)
        )
        for case_id, tag in (await self.session.execute(stmt)).all():
            tags.setdefault(case_id, []).append(tag)
        return tags
