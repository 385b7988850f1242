"""M&E indicators for a period and a filter set (SPEC §7), with the role rules.

Who sees sensitive cases in numbers: a focal point sees them like any case; an analyst
sees them counted, but only as one ``sensitive`` group, never by category (nor by oblast,
programme or language, which could single one out); an operator or an administrator
never sees them counted, as they do not exist for those roles.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.catalog import Catalog
from storage.core import Core
from storage.enums import RatingKind, Role
from storage.errors import PermissionDenied
from storage.periods import Period, month_key, months_between, resolve_period
from storage.repositories.cases import CaseFilter
from storage.repositories.stats import RatingFilter, StatsRepository
from storage.stats import CaseIndicators, CaseTally, Satisfaction, ScoreTally

SENSITIVE_GROUP = "sensitive"
NONE_KEY = "none"
GROUP_BY = ("month", "category", "oblast", "programme", "language")
BREAKDOWNS = ("category", "sensitivity", "oblast", "programme", "language", "channel")
RATING_GROUPS = frozenset({"month", "programme", "language"})


class Visibility(StrEnum):
    ALL = "all"  # every case, by category
    GROUPED = "grouped"  # sensitive cases counted as one group
    STANDARD = "standard"  # sensitive cases do not exist


def visibility(actor: Actor) -> Visibility:
    if actor.can_see_sensitive:
        return Visibility.ALL
    if actor.role is Role.ANALYST:
        return Visibility.GROUPED
    return Visibility.STANDARD


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


def rating_filter_for(flt: CaseFilter, period: Period) -> RatingFilter:
    """Ratings carry a programme and a language, not a category or an oblast."""
    return RatingFilter(
        kinds=(RatingKind.ASSISTANCE.value,),
        programmes=tuple(flt.programmes),
        languages=tuple(flt.languages),
        created_from=period.start,
        created_to=period.end,
    )


def check_filter(actor: Actor, flt: CaseFilter, catalog: Catalog) -> Visibility:
    """The actor's visibility; an analyst asking for a sensitive category is refused."""
    seen = visibility(actor)
    if seen is Visibility.GROUPED and set(flt.categories) & catalog.sensitive_codes:
        raise PermissionDenied(
            "category: analysts see sensitive reports only as one group; "
            "filter them with sensitive=true instead."
        )
    return seen


class StatsService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.core = core
        self.repo = StatsRepository(session)

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

    def check_filter(self, actor: Actor, flt: CaseFilter) -> Visibility:
        return check_filter(actor, flt, self.core.catalog)

    async def report(
        self, actor: Actor, flt: CaseFilter, period: Period, *, group_by: str | None = None
    ) -> StatsReport:
        if group_by is not None and group_by not in GROUP_BY:
            raise ValueError(f"unknown group {group_by!r}")
        seen = self.check_filter(actor, flt)
        zone = period.zone
        now = self.core.clock.now()
        flt = replace(flt, created_from=period.start, created_to=period.end)

        overall = CaseTally()
        by_group: dict[str, CaseTally] = defaultdict(CaseTally)
        received_by: dict[str, dict[str, int]] = {name: defaultdict(int) for name in BREAKDOWNS}
        rows = self.repo.case_rows(flt, may_see_sensitive=seen is not Visibility.STANDARD, now=now)
        async for row in rows:
            overall.add(row, now)
            for name in BREAKDOWNS:
                received_by[name][self._key(row, name, seen, zone)] += 1
            if group_by is not None:
                by_group[self._key(row, group_by, seen, zone)].add(row, now)

        satisfaction = ScoreTally()
        by_programme: dict[str, ScoreTally] = defaultdict(ScoreTally)
        by_month: dict[str, ScoreTally] = defaultdict(ScoreTally)
        by_language: dict[str, ScoreTally] = defaultdict(ScoreTally)
        async for r in self.repo.rating_rows(rating_filter_for(flt, period)):
            reasons = list(r.reasons or [])
            for tally in (
                satisfaction,
                by_programme[r.programme or NONE_KEY],
                by_month[month_key(r.created_at, zone)],
                by_language[r.language],
            ):
                tally.add(int(r.score), reasons)

        months = months_between(period)
        groups: list[GroupIndicators] = []
        if group_by is not None:
            keys = months if group_by == "month" else sorted(by_group)
            rating_groups = {"month": by_month, "programme": by_programme, "language": by_language}
            for key in keys:
                ratings = rating_groups.get(group_by)
                groups.append(
                    GroupIndicators(
                        key=key,
                        cases=by_group[key].result() if key in by_group else CaseTally().result(),
                        satisfaction=(ratings.get(key) or ScoreTally()).result()
                        if ratings is not None
                        else None,
                    )
                )
        return StatsReport(
            period=period,
            visibility=seen,
            cases=overall.result(),
            received_by={
                name: dict(sorted(counts.items())) for name, counts in received_by.items()
            },
            satisfaction=satisfaction.result(),
            satisfaction_by_programme={k: v.result() for k, v in sorted(by_programme.items())},
            satisfaction_by_month={m: (by_month.get(m) or ScoreTally()).result() for m in months},
            group_by=group_by,
            groups=groups,
        )

    @staticmethod
    def _key(row: object, name: str, seen: Visibility, zone: ZoneInfo) -> str:
        if name == "month":
            return month_key(row.created_at, zone)  # type: ignore[attr-defined]
        if name == "sensitivity":
            return SENSITIVE_GROUP if row.sensitive else "standard"  # type: ignore[attr-defined]
        if seen is Visibility.GROUPED and row.sensitive:  # type: ignore[attr-defined]
            return SENSITIVE_GROUP
        value = getattr(row, name)
        return str(value) if value is not None else NONE_KEY
