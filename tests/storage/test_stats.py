"""M&E indicators against values computed by hand (see tests/storage/stats_seed.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.errors import PermissionDenied
from storage.periods import (
    InvalidPeriod,
    PeriodTooLong,
    month_key,
    month_period,
    parse_month,
    resolve_period,
)
from storage.repositories.filters import CaseFilter
from storage.services.stats import StatsReport, StatsService
from storage.tallies import percentile
from tests.storage.helpers import make_staff
from tests.storage.stats_seed import NOW, seed

KYIV = ZoneInfo("Europe/Kyiv")


def test_kyiv_months_across_the_end_of_summer_time() -> None:
    october = month_period(date(2026, 10, 1), KYIV)
    assert october.start == datetime(2026, 9, 30, 21, 0, tzinfo=UTC)  # UTC+3
    assert october.end == datetime(2026, 10, 31, 22, 0, tzinfo=UTC)  # UTC+2
    assert october.end - october.start == timedelta(days=31, hours=1)
    assert month_key(datetime(2026, 10, 31, 21, 59, 59, tzinfo=UTC), KYIV) == "2026-10"
    assert month_key(datetime(2026, 10, 31, 22, 0, 0, tzinfo=UTC), KYIV) == "2026-11"
    # Spring forward: March 2027 loses an hour.
    march = month_period(date(2027, 3, 1), KYIV)
    assert march.end - march.start == timedelta(days=31, hours=-1)


def test_periods_refuse_what_cannot_be_one() -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with pytest.raises(InvalidPeriod) as after:
        resolve_period(date(2026, 11, 5), date(2026, 11, 1), now=now, zone=KYIV, max_days=366)
    assert after.value.parameter == "from"
    with pytest.raises(PeriodTooLong) as long:
        resolve_period(date(2025, 1, 1), date(2026, 11, 1), now=now, zone=KYIV, max_days=366)
    assert long.value.parameter == "to"
    assert "366" in long.value.message
    # Exactly the limit is fine; the default is this month up to today.
    assert resolve_period(date(2026, 1, 1), date(2026, 12, 31), now=now, zone=KYIV, max_days=365)
    default = resolve_period(None, None, now=now, zone=KYIV, max_days=366)
    assert (default.first, default.last) == (date(2026, 11, 1), date(2026, 11, 20))
    for bad in ("2026-13", "2026-1", "november", "1999-12"):
        with pytest.raises(InvalidPeriod):
            parse_month(bad)


def test_nearest_rank_percentile() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 100.0], 0.9) == 100.0


async def _report(
    core: Core, actor: Actor, flt: CaseFilter | None = None, group_by: str | None = None
) -> StatsReport:
    async with core.database.transaction() as session:
        service = StatsService(session, core)
        period = service.period(date(2026, 10, 1), date(2026, 11, 30))
        return await service.report(actor, flt or CaseFilter(), period, group_by=group_by)


async def test_every_indicator_by_hand(core: Core, clock: FrozenClock) -> None:
    data = await seed(core, clock)
    assert data.focal is not None
    report = await _report(core, data.focal, group_by="month")
    cases = report.cases
    # C, G, A (October) and B, S, E (November); D and F fall outside in Kyiv time.
    assert cases.received == 6
    # Acknowledged on time: A (exactly at the deadline), E, S, G; late: C (1 s); B never.
    assert (cases.acknowledged_within_sla, cases.acknowledge_decided) == (4, 6)
    assert cases.share_acknowledged_within_sla == 0.6667
    # Resolved on time: C, S; late: A (1 s), G (8 of 7 days); B never and past due; E pending.
    assert (cases.resolved_within_sla, cases.resolve_decided) == (2, 5)
    assert cases.share_resolved_within_sla == 0.4
    # Hours to acknowledge: 1 (E), 2 (S), 24 (G), 72 (A), 72 h 1 s (C).
    assert cases.median_hours_to_acknowledge == 24.0
    assert cases.p90_hours_to_acknowledge == 72.0
    # Hours to resolve: 48 (S), 192 (G), 240 (C), 720 h 1 s (A).
    assert cases.median_hours_to_resolve == 216.0
    assert cases.p90_hours_to_resolve == 720.0
    assert (cases.open, cases.overdue) == (2, 1)  # B (new, overdue) and E
    assert cases.handling_satisfaction.count == 2  # C: 4, S: 2
    assert cases.handling_satisfaction.mean == 3.0
    assert cases.handling_satisfaction.share_satisfied == 0.5

    assert report.received_by["category"] == {
        "assistance_quality": 3,
        "fraud_corruption": 1,
        "information_request": 1,
        "staff_conduct": 1,
    }
    assert report.received_by["sensitivity"] == {"sensitive": 1, "standard": 5}
    assert report.received_by["oblast"] == {"UA-46": 2, "UA-63": 4}
    assert report.received_by["programme"] == {"cash": 2, "food": 4}
    assert report.received_by["language"] == {"en": 1, "uk": 5}
    assert report.received_by["channel"] == {"telegram": 6}

    sat = report.satisfaction
    assert (sat.count, sat.mean, sat.share_satisfied) == (4, 3.25, 0.5)
    assert sat.distribution == {"1": 1, "2": 1, "3": 0, "4": 0, "5": 2}
    assert sat.top_reasons == [
        {"reason": "waiting_time", "count": 2},
        {"reason": "respect", "count": 1},
    ]
    assert report.satisfaction_by_programme["cash"].mean == 1.5
    assert report.satisfaction_by_programme["food"].mean == 5.0
    # 21:30 UTC on 31 October is still October in Kyiv; 22:30 is November.
    assert report.satisfaction_by_month["2026-10"].mean == 3.0
    assert report.satisfaction_by_month["2026-11"].mean == 3.5

    months = {g.key: g for g in report.groups}
    assert list(months) == ["2026-10", "2026-11"]
    assert months["2026-10"].cases.received == 3
    assert months["2026-11"].cases.received == 3
    assert (months["2026-11"].cases.open, months["2026-11"].cases.overdue) == (2, 1)
    assert months["2026-10"].satisfaction is not None
    assert months["2026-10"].satisfaction.count == 2


async def test_the_clock_decides_what_is_pending(core: Core, clock: FrozenClock) -> None:
    """Before B's acknowledgement deadline passes, B is pending, not a miss."""
    data = await seed(core, clock)
    assert data.focal is not None
    clock.set(datetime(2026, 11, 3, 21, 59, 59, tzinfo=UTC))  # B received + 72 h - 1 s
    report = await _report(core, data.focal)
    assert report.cases.acknowledge_decided == 5
    clock.set(datetime(2026, 11, 3, 22, 0, 1, tzinfo=UTC))
    report = await _report(core, data.focal)
    assert report.cases.acknowledge_decided == 6


async def test_roles_count_sensitive_cases_differently(core: Core, clock: FrozenClock) -> None:
    await seed(core, clock)
    analyst = await make_staff(core, "m-and-e", "analyst")
    operator = await make_staff(core, "hotline", "operator")
    admin = await make_staff(core, "root", "admin")

    grouped = await _report(core, analyst, group_by="category")
    assert grouped.cases.received == 6
    assert grouped.received_by["category"] == {
        "assistance_quality": 3,
        "information_request": 1,
        "sensitive": 1,
        "staff_conduct": 1,
    }
    # Never by oblast or programme either: one group.
    assert grouped.received_by["oblast"] == {"UA-46": 2, "UA-63": 3, "sensitive": 1}
    assert grouped.received_by["programme"] == {"cash": 2, "food": 3, "sensitive": 1}
    assert [g.key for g in grouped.groups] == [
        "assistance_quality",
        "information_request",
        "sensitive",
        "staff_conduct",
    ]
    assert "fraud_corruption" not in repr(grouped)
    with pytest.raises(PermissionDenied):
        await _report(core, analyst, CaseFilter(categories=["fraud_corruption"]))

    for actor in (operator, admin):
        standard = await _report(core, actor)
        assert standard.cases.received == 5
        assert "sensitive" not in standard.received_by["category"]
        assert standard.received_by["sensitivity"] == {"standard": 5}
        assert standard.cases.handling_satisfaction.count == 1  # C only
        # Asking for them gives nothing, as in the worklist.
        only = await _report(core, actor, CaseFilter(sensitive=True))
        assert only.cases.received == 0


async def test_filters_narrow_cases_and_ratings(core: Core, clock: FrozenClock) -> None:
    data = await seed(core, clock)
    assert data.focal is not None
    cash = await _report(core, data.focal, CaseFilter(programmes=["cash"]), group_by="programme")
    assert cash.cases.received == 2  # G and B
    assert cash.satisfaction.count == 2
    assert [g.key for g in cash.groups] == ["cash"]
    assert cash.groups[0].satisfaction is not None
    assert cash.groups[0].satisfaction.mean == 1.5
    overdue = await _report(core, data.focal, CaseFilter(overdue=True))
    assert overdue.cases.received == 1
    assert clock.now() == NOW
