"""The monthly accountability workbook (``holos report monthly``): what the M&E unit sends
to donors. One XLSX with a summary against the previous month, a sheet per breakdown,
native Excel charts (openpyxl) and a notes sheet with the definitions and suppression.

Figures are the analyst's view: sensitive reports are one ``sensitive`` group, never by
category, and no narrative is anywhere. Counts below 5 are withheld as ``<5`` unless
``suppressed=False`` (for internal use only), and so is every total above a withheld
count (see :mod:`storage.suppression`); shares and means over fewer than 5 are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from storage.access import Actor
from storage.core import Core
from storage.enums import ActorKind, Role
from storage.periods import Period, month_period, previous_month
from storage.repositories.cases import CaseFilter
from storage.services.stats import StatsReport, StatsService
from storage.stats import CaseIndicators, Satisfaction
from storage.suppression import THRESHOLD, Mark

TREND_MONTHS = 12
ANALYST = Actor(ActorKind.SYSTEM, role=Role.ANALYST)
BOLD = Font(bold=True)

NOTES = [
    (
        "Period",
        "Calendar months in Kyiv time (Europe/Kyiv): a case belongs to the month in "
        "which it was received, across daylight-saving changes.",
    ),
    (
        "Cases received",
        "Every case received in the month, by its category, oblast, programme and language.",
    ),
    (
        "Sensitive reports",
        "Fraud and corruption, sexual exploitation and abuse, trafficking: "
        "one group, 'sensitive', never broken down, so that no one can be singled out.",
    ),
    (
        "Acknowledged within SLA",
        "Share of the month's cases acknowledged at or before their "
        "deadline (exactly on time counts), among those acknowledged or past the deadline "
        "unacknowledged (a miss). Cases still inside their deadline are not counted.",
    ),
    ("Resolved within SLA", "The same for resolution."),
    (
        "Hours to acknowledge / resolve",
        "From receipt; the median (mean of the two middle "
        "values for an even count) and the 90th percentile by nearest rank.",
    ),
    (
        "Open, overdue",
        "The month's cases still open when the workbook was made, and of those past a deadline.",
    ),
    (
        "Satisfaction",
        "Ratings of assistance given in the month, 1 (very dissatisfied) to 5 "
        "(very satisfied); satisfied means 4 or 5. Reasons are asked for scores 1 and 2.",
    ),
    (
        "Handling satisfaction",
        "The score reporters gave to how their closed case was handled, for the month's cases.",
    ),
    (
        "Suppression",
        "Counts below 5 are shown as '<5'; a total above a withheld count is "
        "shown as 'suppressed', so no withheld count can be worked out. Shares and means over "
        "fewer than 5 cases or ratings are left empty.",
    ),
]


@dataclass(frozen=True)
class MonthlyWorkbook:
    month: str
    path: Path
    sheets: list[str]


class MonthlyReport:
    def __init__(self, core: Core, *, suppressed: bool = True) -> None:
        self.core = core
        self.suppressed = suppressed

    async def _report(
        self, period: Period, group_by: str | None = None, *, months: bool = False
    ) -> StatsReport:
        async with self.core.database.read_only() as session:
            service = StatsService(session, self.core)
            return await service.report(
                ANALYST, CaseFilter(), period, group_by=group_by, months=months
            )

    async def build(self, first_day: date, target: Path) -> MonthlyWorkbook:
        zone = ZoneInfo(self.core.settings.timezone)
        this = month_period(first_day, zone)
        before = month_period(previous_month(first_day), zone)
        now, prior = await self._report(this), await self._report(before)
        groups = {
            g: await self._report(this, g) for g in ("category", "oblast", "programme", "language")
        }
        trend_first = first_day
        for _ in range(TREND_MONTHS - 1):
            trend_first = previous_month(trend_first)
        trend = Period(trend_first, this.last, zone)
        by_month = await self._report(trend, "month", months=True)
        # Cases per month and category: the month pieces counted with the trend.
        by_category_month = {m.key: m.received_by_category for m in by_month.months}

        trend_cells, categories = self._trend_cells(by_category_month)
        received = {
            key: trend_cells.get((key, "total"), 0)
            for key in (_key(this.first), _key(before.first))
        }
        book = Workbook()
        summary = book.active
        summary.title = "Summary"
        self._summary(summary, this, now, prior, received)
        for name, report in groups.items():
            self._breakdown(book.create_sheet(f"By {name}"), name, report)
        self._satisfaction(book.create_sheet("Satisfaction"), now)
        self._trend(
            book.create_sheet("Trend"), by_month, trend_cells, categories, by_category_month
        )
        self._notes(book.create_sheet("Notes"))
        book.save(target)
        return MonthlyWorkbook(month=_key(first_day), path=target, sheets=book.sheetnames)

    # Cells ----------------------------------------------------------------------------

    def _count(self, value: int) -> int | str:
        if self.suppressed and value < THRESHOLD:
            return Mark.SMALL.value
        return value

    def _share(self, value: float | None, base: int) -> float | None:
        if self.suppressed and base < THRESHOLD:
            return None
        return value

    def _total(self, total: int, parts: list[int]) -> int | str:
        if self.suppressed and (total < THRESHOLD or any(p < THRESHOLD for p in parts)):
            return Mark.SMALL.value if total < THRESHOLD else Mark.HIDDEN.value
        return total

    # Sheets ---------------------------------------------------------------------------

    def _summary(
        self,
        sheet: Worksheet,
        period: Period,
        now: StatsReport,
        prior: StatsReport,
        received: dict[str, Any],
    ) -> None:
        sheet.append([f"Holos monthly accountability report: {_key(period.first)}"])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([])
        header = ["Indicator", _key(period.first), _key(previous_month(period.first)), "Change"]
        sheet.append(header)
        for cell in sheet[3]:
            cell.font = BOLD
        rows = self._indicator_rows(now, prior)
        # Cases received as the Trend sheet shows them, withheld there or not.
        rows.insert(0, ("Cases received", *received.values()))
        for label, current, previous in rows:
            change = (
                round(current - previous, 4)
                if isinstance(current, int | float) and isinstance(previous, int | float)
                else None
            )
            sheet.append([label, current, previous, change])
        for row in sheet.iter_rows(min_row=4, min_col=2, max_col=4):
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "0.00"
        sheet.freeze_panes = "A4"
        _widths(sheet, [42, 14, 14, 12])

    def _indicator_rows(self, now: StatsReport, prior: StatsReport) -> list[tuple[str, Any, Any]]:
        def case_values(c: CaseIndicators) -> list[Any]:
            return [
                self._share(c.share_acknowledged_within_sla, c.acknowledge_decided),
                self._share(c.share_resolved_within_sla, c.resolve_decided),
                c.median_hours_to_acknowledge,
                c.p90_hours_to_acknowledge,
                c.median_hours_to_resolve,
                c.p90_hours_to_resolve,
                self._count(c.open),
                self._count(c.overdue),
            ]

        def sat_values(s: Satisfaction, report: StatsReport | None = None) -> list[Any]:
            # The count is the total of the distribution and of the programmes on the
            # Satisfaction sheet: withheld when any of those is.
            parts = list(s.distribution.values())
            if report is not None:
                parts += [p.count for p in report.satisfaction_by_programme.values()]
            count = self._total(s.count, parts)
            return [count, self._share(s.mean, s.count), self._share(s.share_satisfied, s.count)]

        labels = [
            "Share acknowledged within SLA",
            "Share resolved within SLA",
            "Median hours to acknowledge",
            "90th percentile hours to acknowledge",
            "Median hours to resolve",
            "90th percentile hours to resolve",
            "Open cases",
            "Overdue cases",
            "Satisfaction ratings",
            "Mean satisfaction (1–5)",
            "Share satisfied (4–5)",
            "Handling ratings of closed cases",
            "Mean handling satisfaction (1–5)",
            "Share satisfied with handling",
        ]
        a = (
            case_values(now.cases)
            + sat_values(now.satisfaction, now)
            + sat_values(now.cases.handling_satisfaction)
        )
        b = (
            case_values(prior.cases)
            + sat_values(prior.satisfaction, prior)
            + sat_values(prior.cases.handling_satisfaction)
        )
        return list(zip(labels, a, b, strict=True))

    def _breakdown(self, sheet: Worksheet, name: str, report: StatsReport) -> None:
        """One row per group; with suppression, groups below 5 are pooled into one
        "other" row (topped up with the next smallest groups until it holds 5), so every
        row shown holds 5 or more and the total adds up without revealing any of them."""
        sheet.append(
            [
                name.capitalize(),
                "Cases received",
                "Share acknowledged within SLA",
                "Share resolved within SLA",
                "Median hours to resolve",
                "Open",
                "Overdue",
            ]
        )
        for cell in sheet[1]:
            cell.font = BOLD
        kept_keys, pooled_keys = (
            pool({g.key: g.cases.received for g in report.groups})
            if self.suppressed
            else ({g.key: g.cases.received for g in report.groups}, [])
        )
        shown = [g for g in report.groups if g.key in kept_keys]
        pooled = [g for g in report.groups if g.key in pooled_keys]
        for group in sorted(shown, key=lambda g: g.key):
            c = group.cases
            sheet.append(
                [
                    group.key,
                    c.received,
                    self._share(c.share_acknowledged_within_sla, c.acknowledge_decided),
                    self._share(c.share_resolved_within_sla, c.resolve_decided),
                    c.median_hours_to_resolve,
                    self._count(c.open),
                    self._count(c.overdue),
                ]
            )
        if pooled:
            names = ", ".join(sorted(g.key for g in pooled))
            sheet.append([f"Other ({names})", self._count(sum(g.cases.received for g in pooled))])
        sheet.append(["Total", self._count(report.cases.received)])
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:G{sheet.max_row - 1}"
        _widths(sheet, [24, 15, 18, 18, 16, 8, 9])

    def _satisfaction(self, sheet: Worksheet, report: StatsReport) -> None:
        sheet.append(["Score", "Ratings"])
        for cell in sheet[1]:
            cell.font = BOLD
        for score, count in report.satisfaction.distribution.items():
            sheet.append([int(score), self._count(count)])
        chart = BarChart()
        chart.title = "Satisfaction distribution"
        chart.x_axis.title = "Score (1 very dissatisfied … 5 very satisfied)"
        chart.y_axis.title = "Ratings"
        chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=6), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=6))
        sheet.add_chart(chart, "E2")
        sheet.append([])
        sheet.append(["What went wrong (scores 1–2)", "Mentions"])
        for reason in report.satisfaction.top_reasons:
            sheet.append([reason["reason"], self._count(reason["count"])])
        sheet.append([])
        sheet.append(["Programme", "Ratings", "Mean (1–5)", "Share satisfied (4–5)"])
        for programme, sat in report.satisfaction_by_programme.items():
            sheet.append(
                [
                    programme,
                    self._count(sat.count),
                    self._share(sat.mean, sat.count),
                    self._share(sat.share_satisfied, sat.count),
                ]
            )
        _widths(sheet, [30, 10, 12, 20])

    def _trend_cells(
        self, by_category: dict[str, dict[str, int]]
    ) -> tuple[dict[tuple[str, str], Any], list[str]]:
        """Cases per month and category, the pooled rest and each month's total, as
        published: with suppression, each month's small categories are pooled (see
        :func:`pool`), so every figure shown holds 5 or more and totals stay true."""
        categories = sorted({c for counts in by_category.values() for c in counts})
        cells: dict[tuple[str, str], Any] = {}
        for month, row in by_category.items():
            values = {c: row.get(c, 0) for c in categories}
            total = sum(values.values())
            kept, pooled = pool(values) if self.suppressed else (values, [])
            for category in categories:
                cells[(month, category)] = kept.get(category, POOLED)
            rest = sum(values[c] for c in pooled)
            cells[(month, "other")] = self._count(rest) if pooled else None
            cells[(month, "total")] = self._count(total)
        return cells, categories

    def _trend(
        self,
        sheet: Worksheet,
        by_month: StatsReport,
        cells: dict[tuple[str, str], Any],
        categories: list[str],
        by_category: dict[str, dict[str, int]],
    ) -> None:
        sheet.append(["Month", *categories, "Other (pooled)", "Total"])
        for cell in sheet[1]:
            cell.font = BOLD
        for month in by_category:
            sheet.append(
                [
                    month,
                    *(cells[(month, c)] for c in categories),
                    cells[(month, "other")],
                    cells[(month, "total")],
                ]
            )
        months = len(by_category)
        bars = BarChart()
        bars.type = "col"
        bars.grouping = "stacked"
        bars.overlap = 100
        bars.title = "Cases received by category per month"
        bars.y_axis.title = "Cases"
        if categories:
            bars.add_data(
                Reference(
                    sheet, min_col=2, max_col=len(categories) + 1, min_row=1, max_row=months + 1
                ),
                titles_from_data=True,
            )
        bars.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=months + 1))
        bars.width, bars.height = 24, 10
        sheet.add_chart(bars, "A" + str(months + 4))

        start = months + 26
        sheet.cell(start, 1, "Month").font = BOLD
        sheet.cell(start, 2, "Acknowledged within SLA").font = BOLD
        sheet.cell(start, 3, "Resolved within SLA").font = BOLD
        for offset, group in enumerate(by_month.groups, start=1):
            c = group.cases
            sheet.cell(start + offset, 1, group.key)
            sheet.cell(
                start + offset,
                2,
                self._share(c.share_acknowledged_within_sla, c.acknowledge_decided),
            )
            sheet.cell(
                start + offset, 3, self._share(c.share_resolved_within_sla, c.resolve_decided)
            )
        line = LineChart()
        line.title = "SLA compliance per month"
        line.y_axis.title = "Share within SLA"
        line.y_axis.number_format = "0%"
        end = start + len(by_month.groups)
        line.add_data(
            Reference(sheet, min_col=2, max_col=3, min_row=start, max_row=end),
            titles_from_data=True,
        )
        line.set_categories(Reference(sheet, min_col=1, min_row=start + 1, max_row=end))
        line.width, line.height = 24, 10
        sheet.add_chart(line, "E" + str(start))
        sheet.freeze_panes = "B2"
        _widths(sheet, [10] + [20] * len(categories))

    def _notes(self, sheet: Worksheet) -> None:
        sheet.append(["Term", "Definition"])
        for cell in sheet[1]:
            cell.font = BOLD
        for term, definition in NOTES:
            sheet.append([term, definition])
        if not self.suppressed:
            sheet.append(
                [
                    "Not for publication",
                    "This workbook was made without suppression "
                    "(--no-suppression): do not share it outside the mission.",
                ]
            )
        _widths(sheet, [28, 110])


POOLED = "pooled"


def pool(values: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    """Counts of 5 or more kept; smaller ones pooled, topped up with the next smallest
    until the pool holds 5, so no pooled count can be worked out from the rest."""
    ordered = sorted(values, key=lambda k: (values[k], k))
    pooled = [k for k in ordered if values[k] < THRESHOLD]
    kept = [k for k in ordered if values[k] >= THRESHOLD]
    while pooled and sum(values[k] for k in pooled) < THRESHOLD and kept:
        pooled.append(kept.pop(0))
    return {k: values[k] for k in kept}, pooled


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _next(day: date) -> date:
    from storage.periods import next_month

    return next_month(day)
