"""M&E indicators for a period and a filter set, with the role rules.

Who sees sensitive cases in numbers is :mod:`storage.disclosure`'s to say: a focal point
like any case; an analyst only as one ``sensitive`` group over whole months, never
broken down or narrowed by another dimension (such a view leaves them out); an
operator or an administrator never, as they do not exist for those roles.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage import breakdowns, day_counts, disclosure
from storage.access import Actor
from storage.catalog import Catalog
from storage.core import Core
from storage.disclosure import Visibility
from storage.enums import RatingKind
from storage.periods import (
    Period,
    local_midnight,
    months_between,
    parse_month,
    resolve_period,
)
from storage.repositories.aggregates import AggregateRepository, Keys, Scope
from storage.repositories.day_counts import DayCountRepository, covers
from storage.repositories.filters import CaseFilter, RatingFilter
from storage.tallies import CaseIndicators, CaseTally, CellTally, Satisfaction, ScoreTally

# The keys the queries give sensitive cases (as one group) and empty values.
SENSITIVE_GROUP = breakdowns.SENSITIVE_KEY
NONE_KEY = breakdowns.NONE_KEY
# What a report may be grouped by, and what every report counts cases by: the one list
# of dimensions (storage.breakdowns) says which.
GROUP_BY = breakdowns.GROUP_BY
BREAKDOWNS = breakdowns.RECEIVED_BY


@dataclass(frozen=True)
class GroupIndicators:
    key: str
    cases: CaseIndicators
    satisfaction: Satisfaction | None


@dataclass(frozen=True)
class StatsReport:
    period: Period
    visibility: Visibility
    cases: CaseIndicators
    received_by: dict[str, dict[str, int]]
    satisfaction: Satisfaction
    satisfaction_by_programme: dict[str, Satisfaction]
    satisfaction_by_month: dict[str, Satisfaction]
    group_by: str | None
    groups: list[GroupIndicators]
    # Each month's piece of the period (the dashboard's charts), when asked for.
    months: list[MonthIndicators] = field(default_factory=list)
    # Cases closed as duplicates of another: counted apart, never in the figures above
    # (the case kept counts once).
    duplicates: int = 0


@dataclass(frozen=True)
class MonthIndicators:
    """What a report over one Kyiv month of the period alone would count."""

    key: str
    cases: CaseIndicators
    received_by_category: dict[str, int]


def rating_filter_for(flt: CaseFilter, period: Period) -> RatingFilter:
    """Ratings carry a programme and a language, not a category or an oblast."""
    return RatingFilter(
        kinds=(RatingKind.ASSISTANCE.value,),
        programmes=tuple(flt.programmes),
        languages=tuple(flt.languages),
        created_from=period.start,
        created_to=period.end,
    )


def check_filter(
    actor: Actor, flt: CaseFilter, catalog: Catalog, period: Period | None, now: datetime
) -> Visibility:
    """How sensitive cases count in this view (:func:`storage.disclosure.visibility`);
    what the role may not ask for is refused."""
    return disclosure.visibility(actor, flt, period, now, catalog)


class StatsService:
    def __init__(self, session: AsyncSession, core: Core, *, use_days: bool = True) -> None:
        """``use_days=False``: count from the cases even where the daily counts could
        (what their test compares them with)."""
        self.core = core
        self.repo = AggregateRepository(session)
        self.days = DayCountRepository(session)
        self.use_days = use_days

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.core.settings.timezone)

    def period(self, first: date | None, last: date | None) -> Period:
        return resolve_period(
            first,
            last,
            now=self.core.clock.now(),
            zone=self.zone,
            max_days=self.core.settings.stats_max_days,
        )

    def check_filter(self, actor: Actor, flt: CaseFilter, period: Period | None) -> Visibility:
        return check_filter(actor, flt, self.core.catalog, period, self.core.clock.now())

    def _scope(
        self, actor: Actor, flt: CaseFilter, period: Period
    ) -> tuple[Visibility, CaseFilter, Scope]:
        """The cases a view of ``flt`` over ``period`` counts for ``actor``, keyed by the
        role's rule (:mod:`storage.disclosure`)."""
        seen = self.check_filter(actor, flt, period)
        flt = replace(flt, created_from=period.start, created_to=period.end)
        keys = Keys(
            months=month_starts(period), sensitive_grouped=disclosure.sensitive_grouped(seen)
        )
        return (
            seen,
            flt,
            Scope(flt, disclosure.may_count_sensitive(seen), self.core.clock.now(), keys),
        )

    async def received(
        self, actor: Actor, flt: CaseFilter, period: Period, by: Sequence[str]
    ) -> list[Any]:
        """Cases per combination of the ``by`` keys (rows ``(*keys, count)``), under the
        same rule as :meth:`report`."""
        _seen, flt, scope = self._scope(actor, flt, period)
        if await self._days_cover(flt):
            return await self.days.received_counts(scope, by, period.first, period.last)
        return await self.repo.received_counts(scope, by)

    async def _days_cover(self, flt: CaseFilter) -> bool:
        """Whether the daily counts can answer for ``flt`` (built, in this zone)."""
        return self.use_days and covers(flt) and await self.days.built(self.core.settings.timezone)

    async def report(
        self,
        actor: Actor,
        flt: CaseFilter,
        period: Period,
        *,
        group_by: str | None = None,
        months: bool = False,
    ) -> StatsReport:
        """The period's indicators; with ``months``, also each Kyiv month's piece of it
        (what a report over that month alone would count), from the same queries.

        Counting happens in SQL (GROUP BY over flags both engines compute alike); only
        the times to acknowledge and resolve come back row by row, as whole
        microseconds, for the medians and percentiles.
        """
        if group_by is not None and group_by not in GROUP_BY:
            raise ValueError(f"unknown group {group_by!r}")
        seen, flt, scope = self._scope(actor, flt, period)
        if self.use_days and covers(flt) and await self.days.built(self.core.settings.timezone):
            found = await self._gather_days(scope, period, group_by, months)
        else:
            found = await self._gather(scope, period, group_by, months)
        overall, by_group, by_month, month_category = (
            found.overall,
            found.by_group,
            found.by_month,
            found.month_category,
        )
        received_by, satisfaction, rated = found.received_by, found.satisfaction, found.rated
        by_programme = rated["programme"]
        rating_month = rated["month"]

        month_keys = months_between(period)
        groups: list[GroupIndicators] = []
        if group_by is not None:
            group_keys = month_keys if group_by == "month" else sorted(by_group)
            for key in group_keys:
                ratings = rated.get(group_by)
                groups.append(
                    GroupIndicators(
                        key=key,
                        cases=found.result(by_group[key], "group", key)
                        if key in by_group
                        else CaseTally().result(),
                        satisfaction=(ratings.get(key) or ScoreTally()).result()
                        if ratings is not None
                        else None,
                    )
                )
        return StatsReport(
            period=period,
            visibility=seen,
            cases=found.result(overall),
            received_by={
                name: dict(sorted(counts.items())) for name, counts in received_by.items()
            },
            satisfaction=satisfaction.result(),
            satisfaction_by_programme={k: v.result() for k, v in sorted(by_programme.items())},
            satisfaction_by_month={
                m: (rating_month.get(m) or ScoreTally()).result() for m in month_keys
            },
            group_by=group_by,
            groups=groups,
            months=[
                MonthIndicators(
                    key=m,
                    cases=found.result(by_month[m], "month", m)
                    if m in by_month
                    else CaseTally().result(),
                    received_by_category=dict(sorted(month_category.get(m, {}).items())),
                )
                for m in month_keys
            ]
            if months
            else [],
            duplicates=found.duplicates,
        )

    async def _gather(
        self, scope: Scope, period: Period, group_by: str | None, months: bool
    ) -> Gathered:
        """The figures counted from the cases and ratings themselves (any filter)."""
        keys = scope.keys
        flt = scope.flt

        # Cases keyed by (group, month, category) as asked; each total is a sum of these.
        by: list[str] = []  # what each leading column of a row is, by role
        dims: list[str] = []  # the same, by the key the query computes
        if group_by is not None:
            by.append("group")
            dims.append(group_by)
        if months:
            by.append("month")
            dims += ["month", "category"]
        overall = CaseTally()
        by_group: dict[str, CaseTally] = defaultdict(CaseTally)
        by_month: dict[str, CaseTally] = defaultdict(CaseTally)
        month_category: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in await self.repo.case_counts(scope, dims):
            named = dict(zip(by, row[: len(by)], strict=False))
            score, counts = row[len(dims)], row[len(dims) + 1 :]
            overall.add_counts(score, counts)
            if group_by is not None:
                by_group[named["group"]].add_counts(score, counts)
            if months:
                by_month[named["month"]].add_counts(score, counts)
                month_category[named["month"]][row[len(dims) - 1]] += int(counts[0])
        for row in await self.repo.case_durations(scope, dims[: len(by)]):
            ack, res = row[len(by)], row[len(by) + 1]
            overall.add_micros(ack, res)
            named = dict(zip(by, row[: len(by)], strict=False))
            if group_by is not None:
                by_group[named["group"]].add_micros(ack, res)
            if months:
                by_month[named["month"]].add_micros(ack, res)

        received_by: dict[str, dict[str, int]] = {name: defaultdict(int) for name in BREAKDOWNS}
        for row in await self.repo.received_counts(scope, BREAKDOWNS):
            for name, value in zip(BREAKDOWNS, row, strict=False):
                received_by[name][value] += int(row[-1])

        satisfaction = ScoreTally()
        # Ratings per key of every dimension ratings carry (month, programme, language).
        rated: dict[str, dict[str, ScoreTally]] = {
            name: defaultdict(ScoreTally) for name in breakdowns.RATED
        }
        rating_rows = await self.repo.rating_counts(
            rating_filter_for(flt, period), keys, breakdowns.RATED
        )
        for r in rating_rows:
            *named_keys, score, reasons_json, count = r
            reasons = list(json.loads(reasons_json) or []) if reasons_json else []
            satisfaction.add(int(score), reasons, times=int(count))
            for name, key in zip(breakdowns.RATED, named_keys, strict=True):
                rated[name][key].add(int(score), reasons, times=int(count))
        return Gathered(
            overall=overall,
            by_group=by_group,
            by_month=by_month,
            month_category=month_category,
            received_by=received_by,
            satisfaction=satisfaction,
            rated=rated,
            duplicates=await self.repo.duplicate_count(scope),
        )

    async def _gather_days(
        self, scope: Scope, period: Period, group_by: str | None, months: bool
    ) -> Gathered:
        """The same figures from the daily counts (storage.day_counts), for a filter they
        cover: sums over a few thousand rows instead of every case."""
        days, first, last, zone = self.days, period.first, period.last, self.zone
        keys, flt = scope.keys, scope.flt
        overall = CaseTally()
        by_group: dict[str, CaseTally] = defaultdict(CaseTally)
        by_month: dict[str, CaseTally] = defaultdict(CaseTally)
        month_category: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        found = Gathered(
            overall=overall,
            by_group=by_group,
            by_month=by_month,
            month_category=month_category,
            received_by={},
            satisfaction=ScoreTally(),
            rated={name: defaultdict(ScoreTally) for name in breakdowns.RATED},
            duplicates=await days.duplicate_count(scope, first, last),
        )
        # (role, dimensions): the whole, each group, each month.
        roles: list[tuple[str, list[str]]] = [("all", [])]
        if group_by is not None:
            roles.append(("group", [group_by]))
        if months:
            roles.append(("month", ["month", "category"]))
        for role, dims in roles:
            for row in await days.case_counts(scope, dims, first, last, zone):
                score, counts = row[len(dims)], row[len(dims) + 1 :]
                if role == "all":
                    overall.add_counts(score, counts)
                elif role == "group":
                    by_group[row[0]].add_counts(score, counts)
                else:
                    by_month[row[0]].add_counts(score, counts)
                    month_category[row[0]][row[1]] += int(counts[0])
            time_dims = dims[:1]
            for row in await days.time_cells(scope, time_dims, first, last):
                key = row[0] if time_dims else ""
                kind, value, n = row[len(time_dims)], float(row[-2]), int(row[-1])
                found.times[(role, key, kind)].cells[value] += n
        # What an even count's median needs beyond its cells: the two middle values.
        wanted: dict[tuple[str, str], dict[str, tuple[float, float]]] = defaultdict(dict)
        for (role, key, kind), spread in found.times.items():
            middle = spread.middle()
            if middle is not None:
                wanted[(role, kind)][key] = middle
        by_dims = {"all": [], "group": [group_by] if group_by else [], "month": ["month"]}
        for (role, kind), middles in wanted.items():
            cells = {c for pair in middles.values() for c in pair}
            values: dict[str, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
            dims = by_dims[role]
            for row in await days.exact_times(scope, dims, kind, cells):
                key = row[0] if dims else ""
                value = day_counts.hours(row[-1])
                values[key][round(value, 2)].append(value)
            for key, (low, high) in middles.items():
                found.exact[(role, key, kind)] = (
                    max(values[key][low]),
                    min(values[key][high]),
                )
        for name in BREAKDOWNS:
            received: dict[str, int] = defaultdict(int)
            for value, n in await days.received_counts(scope, [name], first, last):
                received[value] += int(n)
            found.received_by[name] = received
        rating_flt = rating_filter_for(flt, period)
        asked = [["month", "programme"]]
        if group_by in breakdowns.RATED and group_by not in ("month", "programme"):
            asked.append([group_by])
        for index, by in enumerate(asked):
            for row in await days.rating_counts(rating_flt, keys, by, first, last):
                *named, score, reason, n = row
                tallies = [found.rated[name][key] for name, key in zip(by, named, strict=True)]
                if index == 0:
                    tallies.append(found.satisfaction)
                for tally in tallies:
                    if reason is None:
                        tally.add(int(score), times=int(n))
                    else:
                        tally.reasons[reason] += int(n)
        return found


@dataclass
class Gathered:
    """What a report is assembled from, however it was counted."""

    overall: CaseTally
    by_group: dict[str, CaseTally]
    by_month: dict[str, CaseTally]
    month_category: dict[str, dict[str, int]]
    received_by: dict[str, dict[str, int]]
    satisfaction: ScoreTally
    rated: dict[str, dict[str, ScoreTally]]
    duplicates: int
    # From the daily counts: times per (role, key, kind), and an even count's exact
    # middle values where its cells could not say.
    times: dict[tuple[str, str, str], CellTally] = field(
        default_factory=lambda: defaultdict(CellTally)
    )
    exact: dict[tuple[str, str, str], tuple[float, float]] = field(default_factory=dict)

    def result(self, tally: CaseTally, role: str = "all", key: str = "") -> CaseIndicators:
        found = tally.result()
        if not self.times:
            return found
        ack = self.times.get((role, key, "ack")) or CellTally()
        res = self.times.get((role, key, "res")) or CellTally()
        return replace(
            found,
            median_hours_to_acknowledge=ack.median(
                *self.exact.get((role, key, "ack"), (None, None))
            ),
            p90_hours_to_acknowledge=ack.p90(),
            median_hours_to_resolve=res.median(*self.exact.get((role, key, "res"), (None, None))),
            p90_hours_to_resolve=res.p90(),
            acknowledged=ack.count,
            resolved=res.count,
        )


def month_starts(period: Period) -> list[tuple[str, datetime]]:
    """Each Kyiv month the period touches, with the UTC instant its piece starts."""
    starts = []
    for key in months_between(period):
        first = max(period.first, parse_month(key))
        starts.append((key, local_midnight(first, period.zone)))
    return starts
