"""The monthly accountability workbook (``holos report monthly``) against a brute-force
solver (issue 18 §4): for every month it is made for, no withheld count can be worked
out from everything the workbooks publish.

Withheld counts here are the ones a reader must not learn: each month's sensitive
reports, a group of complaints below 5 in any breakdown (category, oblast, programme,
language), a programme with fewer than 5 ratings, and any count the workbook shows as
below 5. The solver moves one case or rating at a time (into or out of a month, or to
another category, oblast, programme, language, score) in a real database, builds the
workbooks again with the real code and keeps the worlds that publish exactly the same.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import Language
from storage.services.monthly_report import MonthlyReport, Percent, Sheet
from tests.storage.disclosure_world import Move, World, moves_for, rekeys_for, solve

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
MONTHS = ("2026-10", "2026-11")
DIMENSIONS = {
    "category": (
        "assistance_quality",
        "selection_process",
        "staff_conduct",
        "information_request",
        "suggestion",
    ),
    "oblast": ("UA-63", "UA-46", "UA-32", "UA-12"),
    "programme": ("food", "cash", None),
    "language": (Language.UK, Language.RU, Language.EN),
}


def at(month: str, minute: int) -> datetime:
    return datetime(int(month[:4]), int(month[5:]), 12, 8, 0, tzinfo=UTC) + timedelta(
        minutes=minute
    )


def pick(options: tuple[Any, ...], weights: tuple[int, ...], index: int) -> Any:
    """The ``index``-th case's value when ``weights`` cases get each option in turn."""
    for option, weight in zip(options, weights, strict=False):
        if index < weight:
            return option
        index -= weight
    raise AssertionError("weights do not cover the cases")


async def build(core: Core, clock: FrozenClock) -> World:
    world = World(core, clock, NOW)
    plans = {
        # complaints: categories, oblasts, programmes, languages (counts per option)
        "2026-10": (14, (9, 3, 0, 2, 0), (10, 4, 0, 0), (8, 6, 0), (11, 3, 0), 2),
        "2026-11": (22, (12, 1, 6, 0, 3), (15, 5, 2, 0), (13, 6, 3), (17, 4, 1), 3),
    }
    for month, (n, cats, oblasts, programmes, languages, sensitive) in plans.items():
        for i in range(n):
            await world.case(
                at(month, i),
                category=pick(DIMENSIONS["category"], cats, i),
                oblast=pick(DIMENSIONS["oblast"], oblasts, (i * 7) % n),
                programme=pick(DIMENSIONS["programme"], programmes, (i * 5) % n),
                language=pick(DIMENSIONS["language"], languages, (i * 3) % n),
                on_time=i % 4 != 0,
                handling=4 if i % 2 else 5,
            )
        for i in range(sensitive):
            await world.case(at(month, 100 + i), category="fraud_corruption")
    # Ratings: October 12 (an incomplete distribution), November 5 of each score.
    for i, score in enumerate([5] * 6 + [4] * 4 + [1] * 2):
        await world.rating(
            at("2026-10", 200) + timedelta(hours=i), score, "food" if i % 3 else "cash"
        )
    for i in range(25):
        await world.rating(
            at("2026-11", 200) + timedelta(hours=i), i % 5 + 1, "food" if i % 6 else "cash"
        )
    # The reserve: one of each kind to bring into a month.
    await world.case(None, on_time=True)
    await world.case(None, on_time=False, oblast="UA-46", programme="cash")
    await world.case(None, category="fraud_corruption")
    await world.rating(None, 5)
    await world.rating(None, 1, "cash")
    clock.set(NOW)
    return world


def cells(path: Path) -> dict[tuple[str, int, int], Any]:
    book = load_workbook(path)
    return {
        (sheet.title, cell.row, cell.column): cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }


def written(sheets: list[Sheet]) -> dict[tuple[str, int, int], Any]:
    """The cells the sheets' content becomes, as :func:`cells` reads them back."""
    result: dict[tuple[str, int, int], Any] = {}
    for sheet in sheets:
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    result[(sheet.title, r, c)] = (
                        value.value if isinstance(value, Percent) else value
                    )
    return result


def trend_rows(sheets: list[Sheet], month: str) -> list[dict[Any, Any]]:
    """The month's rows of the Trend sheet, each by its column titles, where non-empty."""
    trend = next(s for s in sheets if s.title == "Trend")
    result, titles = [], trend.rows[0]
    for row in trend.rows:
        if row and row[0] == "Month":
            titles = row
        elif row and row[0] == month:
            result.append({t: v for t, v in zip(titles, row, strict=False) if v is not None})
    return result


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:]), 1)


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


async def test_no_withheld_workbook_count_can_be_worked_out(
    core: Core, clock: FrozenClock, tmp_path: Path
) -> None:
    world = await build(core, clock)

    async def observe(months: tuple[str, ...]) -> dict[Hashable, Any]:
        """The workbook of each of ``months``: what :meth:`MonthlyReport.content` gives,
        which is what is written (checked below). A later month's workbook shows a month
        only as its previous month and as a trend row, the same cells as the month's own
        workbook (checked below too), so a change in a month shows in its own."""
        return {month: await MonthlyReport(core).content(first_day(month)) for month in months}

    for month in MONTHS:
        own = await MonthlyReport(core).content(first_day(month))
        later = await MonthlyReport(core).content(first_day(next_month(month)))
        own_summary, later_summary = own[0].rows[3:], later[0].rows[3:]
        assert [r[1] for r in own_summary] == [r[2] for r in later_summary]
        assert trend_rows(own, month) == trend_rows(later, month)
    # What is written is the content, cell by cell, for every month the data reaches.
    for month in (*MONTHS, next_month(MONTHS[-1])):
        target = tmp_path / f"{month}.xlsx"
        await MonthlyReport(core).build(first_day(month), target)
        assert cells(target) == written(await MonthlyReport(core).content(first_day(month)))

    def truth() -> dict[Hashable, int]:
        values: dict[Hashable, int] = {}
        for item in world.items:
            month = item.month
            values[(month, item.group)] = values.get((month, item.group), 0) + 1
            if item.group == "complaints_feedback":
                for dimension in DIMENSIONS:
                    key = (month, dimension, item.traits[dimension])
                    values[key] = values.get(key, 0) + 1
            if item.group == "satisfaction_responses":
                key = (month, "rating programme", item.traits["programme"])
                values[key] = values.get(key, 0) + 1
        return values

    real = truth()
    withheld: set[Hashable] = {(month, "sensitive") for month in MONTHS}
    for cell, value in real.items():
        if cell[0] in MONTHS and len(cell) == 3 and 0 < value < 5:
            withheld.add(cell)
    assert real[("2026-11", "sensitive")] == 3 and real[("2026-11", "category", "suggestion")] == 3

    moves: list[Move] = []
    for month in MONTHS:
        groups = ("complaints_feedback", "sensitive", "satisfaction_responses")
        moves += moves_for(world, month, at(month, 300), groups, kind=lambda item: item.group)
        for dimension, values in DIMENSIONS.items():
            moves += rekeys_for(world, month, "complaints_feedback", dimension, values)
        moves += rekeys_for(world, month, "satisfaction_responses", "programme", ("food", "cash"))
    options = await solve(world, observe, truth, withheld, moves)
    found = {cell: values for cell, values in options.items() if len(values) == 1}
    assert not found, f"withheld counts worked out: {found}"
