"""The indicators counted in SQL against the same arithmetic done row by row in Python.

The service counts with GROUP BY and takes the times to acknowledge and resolve as whole
microseconds computed in the database; this test recomputes every report from the
plain rows (one :class:`CaseTally` per key, Kyiv months with ``zoneinfo``) and demands
equal results, for each role's visibility, each grouping and the dashboard's month
pieces, on both engines. The data is random but seeded: odd microseconds, cases on and
just before a Kyiv month's first instant, some still inside their deadlines, empty
programmes, handling scores, ratings with and without reasons.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from bench.seed import case_rows, rating_rows
from storage import disclosure
from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.disclosure import Visibility
from storage.enums import ActorKind, Language, RatingKind, Role, Status
from storage.models import Case, Rating
from storage.periods import Period, local_midnight, month_key, month_period
from storage.repositories.filters import CaseFilter
from storage.services.stats import (
    BREAKDOWNS,
    GROUP_BY,
    NONE_KEY,
    SENSITIVE_GROUP,
    StatsReport,
    StatsService,
    rating_filter_for,
)
from storage.tallies import CaseTally, ScoreTally

KYIV = ZoneInfo("Europe/Kyiv")
# Across both daylight-saving changes, starting and ending inside a month.
PERIOD = Period(date(2025, 10, 10), date(2026, 4, 12), KYIV)
# Whole months, where an analyst counts sensitive cases as one group (storage.disclosure).
WHOLE = Period(date(2025, 11, 1), date(2026, 3, 31), KYIV)
NOW = datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=UTC)
CASES = 600
RATINGS = 300
ROLES = (Role.FOCAL_POINT, Role.ANALYST, Role.OPERATOR)
EDGES = [date(2025, m, 1) for m in (10, 11, 12)] + [date(2026, m, 1) for m in range(1, 6)]
REASONS = ["timely", "respectful", "complete", "clear"]


def _instant(rng: random.Random) -> datetime:
    """Mostly anywhere in (and a little around) the period; some on a month's edge."""
    if rng.random() < 0.15:
        edge = local_midnight(rng.choice(EDGES), KYIV)
        return edge - timedelta(microseconds=rng.choice((1, 0)))
    span = int((PERIOD.end - PERIOD.start).total_seconds()) + 20 * 86400
    return (
        PERIOD.start
        - timedelta(days=10)
        + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(1_000_000))
    )


def _later(rng: random.Random, start: datetime, hours: float) -> datetime:
    return start + timedelta(
        seconds=rng.uniform(0, hours * 3600), microseconds=rng.randrange(10**6)
    )


async def _seed(core: Core) -> None:
    rng = random.Random(20261129)
    cases: list[dict[str, Any]] = []
    for batch in case_rows(CASES, core.crypto, seed=3):
        for row in batch:
            created = _instant(rng)
            status = rng.choice(list(Status))
            acked = status is not Status.NEW or rng.random() < 0.05
            done = status in (Status.RESOLVED, Status.CLOSED)
            row.update(
                created_at=created,
                updated_at=created,
                public_updated_at=created,
                status=status.value,
                programme=row["programme"] if rng.random() < 0.8 else None,
                acknowledge_due_at=created + timedelta(hours=rng.choice((24, 72))),
                resolve_due_at=created + timedelta(days=rng.choice((7, 30))),
                acknowledged_at=_later(rng, created, 120) if acked else None,
                resolved_at=_later(rng, created, 60 * 24) if done else None,
                closed_at=None,
                handling_score=rng.choice((None, None, 1, 2, 3, 4, 5)),
            )
            if done and row["acknowledged_at"] is None:
                row["acknowledged_at"] = created
            cases.append(row)
    ratings: list[dict[str, Any]] = []
    for batch in rating_rows(RATINGS, CASES, seed=5):
        for row in batch:
            row.update(
                created_at=_instant(rng),
                kind=rng.choice(list(RatingKind)).value,
                programme=rng.choice((row["programme"], None)),
                language=rng.choice(list(Language)).value,
                reasons=rng.choice(
                    ([], [rng.choice(REASONS)], rng.sample(REASONS, 2), rng.sample(REASONS, 3))
                ),
            )
            ratings.append(row)
    async with core.database.transaction() as session:
        await session.execute(insert(Case.__table__), cases)
        await session.execute(insert(Rating.__table__), ratings)


def _key(row: Any, name: str, seen: Visibility) -> str:
    """How the service named a row's group before it counted in SQL."""
    if name == "month":
        return month_key(row.created_at, KYIV)
    if name == "sensitivity":
        return SENSITIVE_GROUP if row.sensitive else "standard"
    if disclosure.sensitive_grouped(seen) and row.sensitive:
        return SENSITIVE_GROUP
    value = getattr(row, name)
    return str(value) if value is not None else NONE_KEY


async def _by_rows(
    core: Core,
    actor: Actor,
    flt: CaseFilter,
    period: Period,
    group_by: str | None,
    seen: Visibility | None = None,
) -> dict[str, Any]:
    """The report's numbers, tallied one plain row at a time (``seen``: the view's rule
    for sensitive cases, by default the one for this filter and period)."""
    if seen is None:
        seen = disclosure.visibility(actor, flt, period, NOW, core.catalog)
    flt = replace(flt, created_from=period.start, created_to=period.end)
    overall = CaseTally()
    groups: dict[str, CaseTally] = defaultdict(CaseTally)
    received: dict[str, dict[str, int]] = {name: defaultdict(int) for name in BREAKDOWNS}
    satisfaction = ScoreTally()
    by: dict[str, dict[str, ScoreTally]] = {
        "programme": defaultdict(ScoreTally),
        "month": defaultdict(ScoreTally),
        "language": defaultdict(ScoreTally),
    }
    async with core.database.read_only() as session:
        repo = StatsService(session, core).repo
        sees = disclosure.may_count_sensitive(seen)
        async for row in repo.case_rows(flt, may_see_sensitive=sees, now=NOW):
            overall.add(row, NOW)
            for name in BREAKDOWNS:
                received[name][_key(row, name, seen)] += 1
            if group_by is not None:
                groups[_key(row, group_by, seen)].add(row, NOW)
        async for r in repo.rating_rows(rating_filter_for(flt, period)):
            for tally in (
                satisfaction,
                by["programme"][r.programme or NONE_KEY],
                by["month"][month_key(r.created_at, KYIV)],
                by["language"][str(r.language)],
            ):
                tally.add(int(r.score), list(r.reasons or []))
    return {
        "cases": overall.result(),
        "received_by": {k: dict(sorted(v.items())) for k, v in received.items()},
        "satisfaction": satisfaction.result(),
        "by_programme": {k: v.result() for k, v in sorted(by["programme"].items())},
        "by_month": {k: v.result() for k, v in sorted(by["month"].items())},
        "groups": {k: v.result() for k, v in groups.items()},
        "group_satisfaction": {k: v.result() for k, v in by.get(group_by or "", {}).items()},
    }


def _check(report: StatsReport, expected: dict[str, Any], group_by: str | None) -> None:
    assert report.cases == expected["cases"]
    assert report.received_by == expected["received_by"]
    assert report.satisfaction == expected["satisfaction"]
    assert report.satisfaction_by_programme == expected["by_programme"]
    months = {k: v for k, v in report.satisfaction_by_month.items() if v.count}
    assert months == expected["by_month"]
    got = {g.key: g.cases for g in report.groups if g.cases.received}
    assert got == expected["groups"]
    if group_by in ("month", "programme", "language"):
        ratings = {g.key: g.satisfaction for g in report.groups if g.satisfaction.count}  # type: ignore[union-attr]
        assert ratings == expected["group_satisfaction"]


@pytest.mark.parametrize("role", ROLES)
async def test_sql_counts_equal_the_row_by_row_tally(
    core: Core, clock: FrozenClock, role: Role
) -> None:
    clock.advance(NOW - clock.now())
    await _seed(core)
    actor = Actor(ActorKind.SYSTEM, role=role)
    flt = CaseFilter()
    periods = (PERIOD, WHOLE) if role is Role.ANALYST else (PERIOD,)
    for period, group_by in [(p, g) for p in periods for g in (None, *GROUP_BY)]:
        async with core.database.read_only() as session:
            report = await StatsService(session, core).report(
                actor, flt, period, group_by=group_by, months=True
            )
        expected = await _by_rows(core, actor, flt, period, group_by)
        assert report.cases.received > 100  # the seed reached the period
        assert report.cases.median_hours_to_acknowledge is not None
        _check(report, expected, group_by)
        # The dashboard's month pieces: what a report over that month alone counts.
        for piece in report.months:
            whole = month_period(date(int(piece.key[:4]), int(piece.key[5:]), 1), KYIV)
            alone = Period(max(period.first, whole.first), min(period.last, whole.last), KYIV)
            by_rows = await _by_rows(core, actor, flt, alone, None, report.visibility)
            assert piece.cases == by_rows["cases"]
            assert piece.received_by_category == by_rows["received_by"]["category"]
    if role is Role.ANALYST:
        # Sensitive cases are one group over whole months, and no part of a cut period.
        async with core.database.read_only() as session:
            service = StatsService(session, core)
            whole_months = await service.report(actor, flt, WHOLE)
            cut = await service.report(actor, flt, PERIOD)
        assert whole_months.visibility is Visibility.GROUPED
        assert whole_months.received_by["sensitivity"].get(SENSITIVE_GROUP, 0) > 0
        assert cut.visibility is Visibility.LEFT_OUT
        assert SENSITIVE_GROUP not in str(cut.received_by)
    # A filter narrows the SQL and the rows alike.
    narrow = CaseFilter(programmes=("shelter",), statuses=(Status.NEW, Status.CLOSED))
    async with core.database.read_only() as session:
        report = await StatsService(session, core).report(actor, narrow, PERIOD, group_by="oblast")
    _check(report, await _by_rows(core, actor, narrow, PERIOD, "oblast"), "oblast")
