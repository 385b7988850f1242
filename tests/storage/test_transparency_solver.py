"""The public figures (`/transparency`, `GET /api/v1/public/summary`) against a brute-force
solver: for every window the API offers (the last 1 to 24 months) and every month in
it, no withheld count can be worked out from what is published (issue 18 §4).

The attack this reproduces: September has 20 complaints and 3 sensitive reports, all
resolved, 17 on time. A share of 0.7391 "resolved within SLA" over both groups has one
solution, 17/23, and gives the withheld 3 away.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.clock import FrozenClock
from storage.core import Core
from storage.services.transparency import MAX_MONTHS, TransparencyService, publish
from storage.suppression import Mark
from tests.storage.disclosure_world import Move, World, moves_for, solve

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
GROUPS = ("complaints_feedback", "sensitive", "satisfaction_responses")
CELLS = (*GROUPS, "cases_total")
LAST = (2026, 11)  # the last complete month at NOW


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def months_back(n: int) -> tuple[int, int]:
    """The month ``n`` months before the last complete one (0: the last one)."""
    index = LAST[0] * 12 + LAST[1] - 1 - n
    return index // 12, index % 12 + 1


def mid_month(year: int, month: int, minute: int = 0) -> datetime:
    return datetime(year, month, 14, 9, minute, tzinfo=UTC)


async def build(core: Core, clock: FrozenClock) -> World:
    world = World(core, clock, NOW)
    # September: the reported attack. 20 complaints (14 on time), 3 sensitive on time.
    for i in range(20):
        await world.case(mid_month(2026, 9, i), on_time=i < 14)
    for i in range(3):
        await world.case(mid_month(2026, 9, 30 + i), category="fraud_corruption")
    # August: no sensitive report at all (a withheld zero), 12 complaints, 7 ratings.
    for i in range(12):
        await world.case(mid_month(2026, 8, i), on_time=i % 3 != 0)
    for i in range(7):
        await world.rating(mid_month(2026, 8) + timedelta(hours=i), 5 if i % 2 else 3)
    # October: 6 complaints and 1 sensitive report, 5 ratings.
    for i in range(6):
        await world.case(mid_month(2026, 10, i), on_time=i < 5)
    await world.case(mid_month(2026, 10, 40), category="trafficking", on_time=False)
    for i in range(5):
        await world.rating(mid_month(2026, 10) + timedelta(hours=i), 4 if i else 2)
    # November: 4 complaints, 6 sensitive reports, 4 ratings.
    for i in range(4):
        await world.case(mid_month(2026, 11, i), on_time=i < 2)
    for i in range(6):
        await world.case(mid_month(2026, 11, 10 + i), category="sexual_exploitation")
    for i in range(4):
        await world.rating(mid_month(2026, 11) + timedelta(hours=i), 5)
    # The reserve: one of each kind, to bring into a month.
    for category, on_time in (
        ("assistance_quality", True),
        ("assistance_quality", False),
        ("fraud_corruption", True),
        ("fraud_corruption", False),
    ):
        await world.case(None, category=category, on_time=on_time)
    for score in (5, 2):
        await world.rating(None, score)
    clock.set(NOW)
    return world


async def figures(core: Core, months: int) -> dict[str, Any]:
    async with core.database.read_only() as session:
        return asdict(await TransparencyService(session, core).figures(months=months))


async def every_window(core: Core, sizes: range) -> dict[int, Any]:
    """What every window of ``sizes`` months publishes (rows and totals), from one read
    of the tallies: the windows' months are the same months, each counted alike."""
    async with core.database.read_only() as session:
        service = TransparencyService(session, core)
        tallies = await service.tallies(service.window(MAX_MONTHS))
    keys = list(tallies)
    return {size: publish({k: tallies[k] for k in keys[-size:]}) for size in sizes}


def age(month: str) -> int:
    """How many windows back ``month`` starts: the last complete month is 1."""
    year, number = int(month[:4]), int(month[5:])
    return (LAST[0] - year) * 12 + LAST[1] - number + 1


def window_months(size: int) -> list[str]:
    return [month_key(*months_back(n)) for n in range(size)]


async def test_no_withheld_public_count_can_be_worked_out(core: Core, clock: FrozenClock) -> None:
    world = await build(core, clock)
    windows = range(1, MAX_MONTHS + 1)

    async def observe(months: tuple[str, ...]) -> dict[Hashable, Any]:
        """Every window that holds one of ``months``: each would change with it."""
        oldest = max(age(m) for m in months)
        return dict(await every_window(core, range(oldest, MAX_MONTHS + 1)))

    def truth() -> dict[Hashable, int]:
        counts = world.counts()
        cells: dict[Hashable, int] = {}
        for size in windows:
            for month in window_months(size):
                for group in GROUPS:
                    cells[("month", month, group)] = counts.get((month, group), 0)
                cells[("month", month, "cases_total")] = (
                    cells[("month", month, "complaints_feedback")]
                    + cells[("month", month, "sensitive")]
                )
            for group in CELLS:
                cells[("total", size, group)] = sum(
                    cells[("month", m, group)] for m in window_months(size)
                )
        return cells

    published = await every_window(core, windows)
    withheld: set[Hashable] = set()
    for size, (rows, totals) in published.items():
        # What the service publishes is exactly this, for every window.
        figured = await figures(core, size)
        assert figured["months"] == [asdict(row) for row in rows]
        assert figured["totals"] == totals
        for row in rows:
            for group, value in row.counts.items():
                if isinstance(value, Mark):
                    withheld.add(("month", row.month, group))
        for group, value in totals.items():
            if isinstance(value, Mark):
                withheld.add(("total", size, group))
    # What is still published: the September share is over its 20 complaints alone.
    rows = {row.month: row for row in published[MAX_MONTHS][0]}
    september = rows["2026-09"]
    assert september.counts["complaints_feedback"] == 20
    assert september.share_resolved_within_sla == 0.7  # 14 of 20, to whole percent
    assert rows["2026-08"].share_resolved_within_sla == 0.67  # 8 of 12
    assert rows["2026-08"].mean_satisfaction == 3.9  # 3, 5, 3, 5, 3, 5, 3
    assert rows["2026-10"].share_resolved_within_sla is None  # a base of 6
    # The world is as built: the withheld cells are the small ones.
    real = truth()
    assert ("month", "2026-09", "sensitive") in withheld
    assert real[("month", "2026-09", "sensitive")] == 3
    assert all(
        real[cell] < 5 for cell in withheld if cell[0] == "month" and cell[2] != "cases_total"
    )

    moves: list[Move] = []
    for n in range(MAX_MONTHS):
        year, month = months_back(n)
        moves += moves_for(world, month_key(year, month), mid_month(year, month, 50), GROUPS)
    options = await solve(world, observe, truth, withheld, moves)
    found = {cell: values for cell, values in options.items() if len(values) == 1}
    assert not found, f"withheld counts worked out: {found}"
