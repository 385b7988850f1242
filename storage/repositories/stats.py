"""Queries behind the M&E indicators, the ratings list and the exports (SPEC §7).

Indicators are computed from narrow rows streamed out of the database (a few columns
per case, never a narrative), so the same Python arithmetic answers on SQLite and
PostgreSQL, medians and Kyiv-time months included. Exports read in keyset batches,
each in its own short transaction: a year of data never sits in memory, and on SQLite
an export never holds the write lock while a client downloads slowly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, tuple_

from storage.enums import Status
from storage.models import Case, CaseTag, PublicSummary, Rating
from storage.repositories.cases import CaseFilter, CaseRepository

BATCH = 2000

CASE_STAT_COLUMNS = (
    Case.category,
    Case.sensitive,
    Case.oblast,
    Case.programme,
    Case.language,
    Case.channel,
    Case.status,
    Case.created_at,
    Case.acknowledge_due_at,
    Case.acknowledged_at,
    Case.resolve_due_at,
    Case.resolved_at,
    Case.handling_score,
)

EXPORT_COLUMNS = (
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


@dataclass(frozen=True)
class RatingFilter:
    """Filters that apply to satisfaction records: they carry no category or oblast."""

    kinds: Sequence[str] = ()
    programmes: Sequence[str] = ()
    languages: Sequence[str] = ()
    scores: Sequence[int] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None


def _rating_conditions(flt: RatingFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for column, values in (
        (Rating.kind, flt.kinds),
        (Rating.programme, flt.programmes),
        (Rating.language, flt.languages),
        (Rating.score, flt.scores),
    ):
        if values:
            conditions.append(column.in_(list(values)))
    if flt.created_from is not None:
        conditions.append(Rating.created_at >= flt.created_from)
    if flt.created_to is not None:
        conditions.append(Rating.created_at < flt.created_to)
    return conditions


def _after(created_at: Any, id_: Any, key: tuple[datetime, int]) -> Any:
    at = literal(key[0], type_=created_at.type)
    return or_(created_at > at, and_(created_at == at, id_ > key[1]))


class StatsRepository(CaseRepository):
    """Read-only queries for M&E; the worklist's filters, so the numbers agree with it."""

    async def case_rows(
        self, flt: CaseFilter, *, may_see_sensitive: bool, now: datetime
    ) -> AsyncIterator[Any]:
        conditions = self._conditions(flt, may_see_sensitive=may_see_sensitive, now=now)
        stmt = select(*CASE_STAT_COLUMNS).where(*conditions).execution_options(yield_per=BATCH)
        result = await self.session.stream(stmt)
        async for row in result:
            yield row

    async def rating_rows(self, flt: RatingFilter) -> AsyncIterator[Any]:
        stmt = (
            select(
                Rating.kind,
                Rating.programme,
                Rating.language,
                Rating.score,
                Rating.reasons,
                Rating.created_at,
            )
            .where(*_rating_conditions(flt))
            .execution_options(yield_per=BATCH)
        )
        result = await self.session.stream(stmt)
        async for row in result:
            yield row

    async def rating_page(
        self, flt: RatingFilter, *, after: tuple[datetime, int] | None, limit: int
    ) -> list[Rating]:
        """Ratings oldest first, after the keyset ``(created_at, id)``."""
        stmt = select(Rating).where(*_rating_conditions(flt))
        if after is not None:
            stmt = stmt.where(_after(Rating.created_at, Rating.id, after))
        stmt = stmt.order_by(Rating.created_at, Rating.id).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def rating_count(self, flt: RatingFilter) -> int:
        stmt = select(func.count(Rating.id)).where(*_rating_conditions(flt))
        return int(await self.session.scalar(stmt) or 0)

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
        conditions = self._conditions(flt, may_see_sensitive=may_see_sensitive, now=now)
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

    # The public "you said, we did" list -----------------------------------------------

    async def public_summary(self, case_id: int) -> PublicSummary | None:
        return await self.session.get(PublicSummary, case_id)

    def add(self, obj: object) -> None:
        self.session.add(obj)

    async def delete_public_summary(self, summary: PublicSummary) -> None:
        await self.session.delete(summary)

    async def published_summaries(self, *, limit: int) -> list[PublicSummary]:
        """The latest approved summaries of cases still closed (a reopened case drops out)."""
        stmt = (
            select(PublicSummary)
            .join(Case, Case.id == PublicSummary.case_id)
            .where(
                PublicSummary.approved_at.is_not(None),
                Case.status == Status.CLOSED,
                Case.sensitive.is_(False),
            )
            .order_by(PublicSummary.approved_at.desc(), PublicSummary.case_id.desc())
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())
