"""The filters cases and ratings are read by, and their SQL: plain functions, no queries.

The worklist, the capped count, the indicators and the exports all narrow cases with the
same :class:`CaseFilter` through :func:`case_conditions`, so a figure and the worklist
never disagree about which cases a filter means. Repositories import these pieces
instead of inheriting each other's queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, or_, select, type_coerce

from storage.enums import OPEN_STATUSES, Language, Priority, Status
from storage.models import Case, CaseTag, Rating, UTCDateTime
from storage.search import matching_case_ids


@dataclass
class CaseFilter:
    """Worklist filters. Lists mean "any of"; ``tags`` means "all of"."""

    statuses: Sequence[Status] = ()
    categories: Sequence[str] = ()
    priorities: Sequence[Priority] = ()
    oblasts: Sequence[str] = ()
    programmes: Sequence[str] = ()
    languages: Sequence[Language] = ()
    tags: Sequence[str] = ()
    sensitive: bool | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # Canonical case references (storage.refs): a reference typed into search.
    refs: Sequence[str] = ()
    search_terms: Sequence[str] = ()
    # The terms' blind-index tokens (per term, any of them matches it), set only for a
    # reader who may see sensitive cases.
    blind_tokens: Sequence[Sequence[str]] = ()


@dataclass(frozen=True)
class RatingFilter:
    """Filters that apply to satisfaction records: they carry no category or oblast."""

    kinds: Sequence[str] = ()
    programmes: Sequence[str] = ()
    languages: Sequence[str] = ()
    scores: Sequence[int] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None


def visible(*, may_see_sensitive: bool) -> list[ColumnElement[bool]]:
    """The visibility rule as SQL: a role that may not see sensitive cases never gets one
    (the worklist, search, counts and a single case alike)."""
    return [] if may_see_sensitive else [Case.sensitive.is_(False)]


def due_expression() -> ColumnElement[datetime]:
    """The next deadline of a case: acknowledgement while new, resolution afterwards."""
    return type_coerce(
        case(
            (Case.status == Status.NEW, Case.acknowledge_due_at),
            else_=Case.resolve_due_at,
        ),
        UTCDateTime(),
    )


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Case.status == Status.NEW, Case.acknowledge_due_at < now),
        and_(Case.status.in_(sorted(OPEN_STATUSES)), Case.resolve_due_at < now),
    )


def case_conditions(
    flt: CaseFilter,
    *,
    dialect: str,
    may_see_sensitive: bool,
    now: datetime,
    many: bool = False,
) -> list[ColumnElement[bool]]:
    """``flt`` as WHERE conditions for a reader who may (or may not) see sensitive cases.
    ``many``: more cases match than a capped count reached (see storage.search)."""
    conditions = visible(may_see_sensitive=may_see_sensitive)
    if flt.sensitive is not None:
        conditions.append(Case.sensitive.is_(flt.sensitive))
    for column, values in (
        (Case.status, flt.statuses),
        (Case.category, flt.categories),
        (Case.priority, flt.priorities),
        (Case.oblast, flt.oblasts),
        (Case.programme, flt.programmes),
        (Case.language, flt.languages),
    ):
        if values:
            conditions.append(column.in_(list(values)))
    if flt.refs:
        conditions.append(Case.ref.in_(list(flt.refs)))
    for tag in flt.tags:
        conditions.append(Case.id.in_(select(CaseTag.case_id).where(CaseTag.tag == tag)))
    if flt.unassigned:
        conditions.append(Case.assignee_id.is_(None))
    elif flt.assignee_id is not None:
        conditions.append(Case.assignee_id == flt.assignee_id)
    if flt.overdue is not None:
        overdue = overdue_condition(now)
        conditions.append(overdue if flt.overdue else ~overdue)
    if flt.created_from is not None:
        conditions.append(Case.created_at >= flt.created_from)
    if flt.created_to is not None:
        conditions.append(Case.created_at < flt.created_to)
    if flt.search_terms:
        blind = list(flt.blind_tokens) if may_see_sensitive else None
        conditions.append(
            matching_case_ids(dialect, list(flt.search_terms), blind=blind, many=many)
        )
    return conditions


def rating_conditions(flt: RatingFilter) -> list[ColumnElement[bool]]:
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
