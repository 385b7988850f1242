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

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Text,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    tuple_,
)

from storage.disclosure import MONTH, SENSITIVITY, crosses_sensitive
from storage.enums import OPEN_STATUSES, Status
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


SENSITIVE_KEY = "sensitive"
NONE_KEY = "none"
# What a case's row is grouped by: a name the service knows, a column here.
CASE_KEY_COLUMNS: dict[str, Any] = {
    "category": Case.category,
    "oblast": Case.oblast,
    "programme": Case.programme,
    "language": Case.language,
    "channel": Case.channel,
}


@dataclass(frozen=True)
class Keys:
    """How rows are keyed: ``month`` by the Kyiv months' UTC starts (``months`` is
    ``[(key, start), ...]`` in order, the first start being the period's), sensitive
    cases as one group when ``sensitive_grouped``, an empty value as ``none``."""

    months: Sequence[tuple[str, datetime]]
    sensitive_grouped: bool


@dataclass(frozen=True)
class Scope:
    """Which cases a report counts (the worklist's filters and the role's visibility),
    at which instant, keyed how."""

    flt: CaseFilter
    may_see_sensitive: bool
    now: datetime
    keys: Keys


def month_bucket(created_at: Any, months: Sequence[tuple[str, datetime]]) -> Any:
    """The Kyiv month of a row already inside the period, from instants compared in SQL:
    the same answer on both engines, no time-zone arithmetic in the database."""
    if len(months) == 1:
        return literal(months[0][0])
    whens = [(created_at < start, months[i][0]) for i, (_, start) in enumerate(months[1:])]
    return case(*whens, else_=months[-1][0])


def case_key(name: str, keys: Keys) -> Any:
    """A case's key in the dimension ``name``; with ``sensitive_grouped``, a sensitive
    case's key is the one group's in every dimension it may not be crossed with
    (:mod:`storage.disclosure`, which decides that for every dimension, future ones too)."""
    if name == MONTH:
        value = month_bucket(Case.created_at, keys.months)
    elif name == SENSITIVITY:
        value = case((Case.sensitive.is_(True), SENSITIVE_KEY), else_="standard")
    else:
        value = func.coalesce(cast(CASE_KEY_COLUMNS[name], Text), NONE_KEY)
    if keys.sensitive_grouped and not crosses_sensitive(name):
        return case((Case.sensitive.is_(True), SENSITIVE_KEY), else_=value)
    return value


def _flag(condition: ColumnElement[bool]) -> Any:
    return case((condition, 1), else_=0)


class StatsRepository(CaseRepository):
    """Read-only queries for M&E; the worklist's filters, so the numbers agree with it."""

    def _scope_conditions(self, scope: Scope) -> list[ColumnElement[bool]]:
        return self._conditions(scope.flt, may_see_sensitive=scope.may_see_sensitive, now=scope.now)

    def _micros(self, later: Any, earlier: Any) -> Any:
        """Whole microseconds between two timestamps, exactly, on either engine: the
        Python arithmetic of ``timedelta`` done in SQL, so the hours agree to the bit."""
        if self.dialect == "postgresql":
            return cast(extract("epoch", later - earlier) * 1_000_000, BigInteger)

        # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): whole seconds from strftime
        # over the text without its fraction (SQLite would round that to milliseconds,
        # and .9996 to the next second), the microseconds from the text.
        def seconds(value: Any) -> Any:
            return cast(func.strftime("%s", func.substr(value, 1, 19)), Integer)

        def micros(value: Any) -> Any:
            return cast(func.substr(value, 21, 6), Integer)

        return (seconds(later) - seconds(earlier)) * 1_000_000 + micros(later) - micros(earlier)

    async def case_counts(self, scope: Scope, by: Sequence[str]) -> list[Any]:
        """Per ``by`` keys and handling score: received, the SLA tallies, open, overdue.

        Rows ``(*keys, handling_score, received, ack_met, ack_decided, res_met,
        res_decided, open, overdue)``; the definitions are :mod:`storage.stats`'s.
        """
        conditions = self._scope_conditions(scope)
        keys, now = scope.keys, scope.now
        acked = Case.acknowledged_at.is_not(None)
        resolved = Case.resolved_at.is_not(None)
        is_open = Case.status.in_(sorted(OPEN_STATUSES))
        inner = (
            select(
                *(case_key(name, keys).label(f"k{i}") for i, name in enumerate(by)),
                Case.handling_score.label("score"),
                _flag(and_(acked, Case.acknowledged_at <= Case.acknowledge_due_at)).label("am"),
                _flag(or_(acked, Case.acknowledge_due_at < now)).label("ad"),
                _flag(and_(resolved, Case.resolved_at <= Case.resolve_due_at)).label("rm"),
                _flag(or_(resolved, Case.resolve_due_at < now)).label("rd"),
                _flag(is_open).label("op"),
                _flag(
                    and_(
                        is_open,
                        or_(
                            and_(Case.status == Status.NEW, Case.acknowledge_due_at < now),
                            Case.resolve_due_at < now,
                        ),
                    )
                ).label("ov"),
            )
            .where(*conditions)
            .subquery()
        )
        groups = [inner.c[f"k{i}"] for i in range(len(by))] + [inner.c.score]
        stmt = select(
            *groups,
            func.count(),
            *(func.sum(inner.c[name]) for name in ("am", "ad", "rm", "rd", "op", "ov")),
        ).group_by(*groups)
        return list((await self.session.execute(stmt)).all())

    async def received_counts(self, scope: Scope, by: Sequence[str]) -> list[Any]:
        """Cases per combination of the ``by`` keys: rows ``(*keys, count)``."""
        conditions = self._scope_conditions(scope)
        keys = scope.keys
        inner = (
            select(*(case_key(name, keys).label(f"k{i}") for i, name in enumerate(by)))
            .where(*conditions)
            .subquery()
        )
        groups = [inner.c[f"k{i}"] for i in range(len(by))]
        stmt = select(*groups, func.count()).group_by(*groups)
        return list((await self.session.execute(stmt)).all())

    async def case_durations(self, scope: Scope, by: Sequence[str]) -> list[Any]:
        """Rows ``(*keys, µs to acknowledge or None, µs to resolve or None)`` of the cases
        acknowledged or resolved: the medians and percentiles need every value."""
        conditions = self._scope_conditions(scope)
        keys = scope.keys
        stmt = select(
            *(case_key(name, keys) for name in by),
            case(
                (
                    Case.acknowledged_at.is_not(None),
                    self._micros(Case.acknowledged_at, Case.created_at),
                ),
                else_=None,
            ),
            case(
                (Case.resolved_at.is_not(None), self._micros(Case.resolved_at, Case.created_at)),
                else_=None,
            ),
        ).where(*conditions, or_(Case.acknowledged_at.is_not(None), Case.resolved_at.is_not(None)))
        return list((await self.session.execute(stmt)).all())

    async def rating_counts(self, flt: RatingFilter, keys: Keys) -> list[Any]:
        """Ratings per programme, language, month, score and set of reasons: rows
        ``(programme, language, month, score, reasons as JSON text, count)``."""
        inner = (
            select(
                func.coalesce(Rating.programme, NONE_KEY).label("programme"),
                cast(Rating.language, Text).label("language"),
                month_bucket(Rating.created_at, keys.months).label("month"),
                Rating.score.label("score"),
                cast(Rating.reasons, Text).label("reasons"),
            )
            .where(*_rating_conditions(flt))
            .subquery()
        )
        groups = [inner.c[n] for n in ("programme", "language", "month", "score", "reasons")]
        stmt = select(*groups, func.count()).group_by(*groups)
        return list((await self.session.execute(stmt)).all())

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
