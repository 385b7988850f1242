"""The figures' queries: cases and ratings counted in SQL, per breakdown key.

Counting is GROUP BY over flags both engines compute alike, keyed by the dimensions of
:mod:`storage.breakdowns`; only the times to acknowledge and resolve come back row by
row, as whole microseconds, for the medians and percentiles (:mod:`storage.tallies`
does that arithmetic, the same on SQLite and PostgreSQL, Kyiv-time months included).
Which cases a view counts is the worklist's filter (:mod:`storage.repositories.filters`),
so the numbers agree with it.
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
)

from storage import breakdowns
from storage.breakdowns import NONE_KEY, SENSITIVE_KEY, STANDARD_KEY, Dimension, Keyed
from storage.enums import CLOCK_RUNNING, OPEN_STATUSES, RatingKind, Status
from storage.models import Case, Rating
from storage.repositories.base import Repository
from storage.repositories.filters import (
    CaseFilter,
    RatingFilter,
    case_conditions,
    rating_conditions,
)

BATCH = 2000

# What the row-by-row tally (storage.tallies.CaseTally.add) reads of a case.
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
    Case.outcome,
    breakdowns.REFERRAL_TARGET.column,
)


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


def _key(dimension: Dimension, column: Any, keys: Keys) -> Any:
    if dimension.keyed is Keyed.MONTH:
        return month_bucket(column, keys.months)
    if dimension.keyed is Keyed.FLAG:
        return case((column.is_(True), SENSITIVE_KEY), else_=STANDARD_KEY)
    return func.coalesce(cast(column, Text), NONE_KEY)


def case_key(name: str, keys: Keys) -> Any:
    """A case's key in the dimension ``name``; with ``sensitive_grouped``, a sensitive
    case's key is the one group's in every dimension it may not be crossed with
    (:mod:`storage.disclosure`, which decides that for every dimension, future ones too).
    A name that is not a registered dimension is refused (storage.breakdowns)."""
    dimension = breakdowns.get(name)
    value = _key(dimension, dimension.column, keys)
    if keys.sensitive_grouped and not dimension.crosses_sensitive:
        return case((Case.sensitive.is_(True), SENSITIVE_KEY), else_=value)
    return value


def rating_key(name: str, keys: Keys) -> Any:
    """A rating's key in the dimension ``name``, which ratings must carry."""
    dimension = breakdowns.get(name)
    if dimension.rating_column is None:
        raise breakdowns.UnknownDimension(f"{name}: ratings are not broken down by it")
    return _key(dimension, dimension.rating_column, keys)


def _flag(condition: ColumnElement[bool]) -> Any:
    return case((condition, 1), else_=0)


class AggregateRepository(Repository):
    """Read-only: the worklist's filters, counted."""

    async def first_activity(self) -> datetime | None:
        """When the first case or rating of assistance arrived (the public page shows
        no month before it), or None before any. Both columns are indexed."""
        first_case = await self.session.scalar(select(func.min(Case.created_at)))
        first_rating = await self.session.scalar(
            select(func.min(Rating.created_at)).where(Rating.kind == RatingKind.ASSISTANCE)
        )
        found = [t for t in (first_case, first_rating) if t is not None]
        return min(found) if found else None

    def _visible_conditions(self, scope: Scope) -> list[ColumnElement[bool]]:
        return case_conditions(
            scope.flt,
            dialect=self.dialect,
            may_see_sensitive=scope.may_see_sensitive,
            now=scope.now,
        )

    def _scope_conditions(self, scope: Scope) -> list[ColumnElement[bool]]:
        # A duplicate is counted through the case kept, once; it is counted apart
        # (duplicate_count).
        return [*self._visible_conditions(scope), Case.duplicate_of_id.is_(None)]

    async def duplicate_count(self, scope: Scope) -> int:
        """The cases of the scope closed as duplicates of another (not in any other figure)."""
        stmt = select(func.count()).where(
            *self._visible_conditions(scope), Case.duplicate_of_id.is_not(None)
        )
        return int(await self.session.scalar(stmt) or 0)

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
        res_decided, open, overdue)``; the definitions are :mod:`storage.tallies`'s.
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
                _flag(
                    or_(resolved, and_(Case.status != Status.WAITING, Case.resolve_due_at < now))
                ).label("rd"),
                _flag(is_open).label("op"),
                _flag(
                    and_(
                        Case.status.in_(sorted(CLOCK_RUNNING)),
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

    async def rating_counts(self, flt: RatingFilter, keys: Keys, by: Sequence[str]) -> list[Any]:
        """Ratings per combination of the ``by`` keys, score and set of reasons: rows
        ``(*keys, score, reasons as JSON text, count)``, each key labelled by its
        dimension's name (``row.month``)."""
        inner = (
            select(
                *(rating_key(name, keys).label(name) for name in by),
                Rating.score.label("score"),
                cast(Rating.reasons, Text).label("reasons"),
            )
            .where(*rating_conditions(flt))
            .subquery()
        )
        groups = [inner.c[n] for n in (*by, "score", "reasons")]
        stmt = select(*groups, func.count()).group_by(*groups)
        return list((await self.session.execute(stmt)).all())

    async def case_rows(
        self, flt: CaseFilter, *, may_see_sensitive: bool, now: datetime
    ) -> AsyncIterator[Any]:
        conditions = case_conditions(
            flt, dialect=self.dialect, may_see_sensitive=may_see_sensitive, now=now
        )
        stmt = (
            select(*CASE_STAT_COLUMNS)
            .where(*conditions, Case.duplicate_of_id.is_(None))
            .execution_options(yield_per=BATCH)
        )
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
            .where(*rating_conditions(flt))
            .execution_options(yield_per=BATCH)
        )
        result = await self.session.stream(stmt)
        async for row in result:
            yield row
