"""The monthly accountability workbook (``holos report monthly``): what the M&E unit sends
to donors. One XLSX with a summary against the previous month, a sheet per breakdown,
native Excel charts (openpyxl) and a notes sheet with the definitions and suppression.

Figures are the analyst's view (:mod:`storage.disclosure`): sensitive reports appear as
one count per month and nowhere else, never broken down; breakdowns and indicators are
of complaints and feedback; no narrative is anywhere. Unless ``suppressed=False`` (for
internal use only), nothing a reader could work a withheld count out of is published
(issue 18; :mod:`storage.suppression`; tests/storage/test_workbook_solver.py tries):

- a count below 5 is ``<5``; a total over a withheld count is ``suppressed``;
- a breakdown whose total is published pools its rows below 5 with the smallest other
  row (:func:`storage.suppression.pool`); a month in which some breakdown has no row of
  5 or more withholds its complaints count and shows no breakdown at all, since that
  breakdown could not be shown without giving its rows away;
- a share only over a published count of at least 10 whose cases have all reached
  their deadline, to whole percent; a mean only over a published count; a median or
  percentile only over at least 10 values of a published count of at least 10;
- satisfaction by score only when every score has 5 ratings or more.

The figures are computed first (:meth:`MonthlyReport.content`, what the solver compares)
and then written as they are, every text cell through the export's cell writer, so no
cell can be a formula.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from storage import breakdowns, names
from storage.access import Actor
from storage.breakdowns import NONE_KEY
from storage.core import Core
from storage.display import reveal
from storage.enums import ActorKind, Role
from storage.errors import UnknownOblast, UnknownProgramme
from storage.i18n import _
from storage.periods import Period, month_period, previous_month
from storage.repositories.filters import CaseFilter
from storage.services.exports import as_text
from storage.services.feedback_results import FeedbackResultsService, PointResults
from storage.services.stats import GroupIndicators, StatsReport, StatsService
from storage.suppression import THRESHOLD, Mark, Pooled, pool, share
from storage.survey_results import language_of
from storage.surveys import QuestionKind
from storage.tallies import SATISFIED, SCORES, CaseIndicators, Satisfaction

TREND_MONTHS = 12
ANALYST = Actor(ActorKind.SYSTEM, role=Role.ANALYST)
# A sheet per breakdown the workbook publishes (storage.breakdowns says which).
DIMENSIONS = breakdowns.WORKBOOK
COMPLAINTS = CaseFilter(sensitive=False)
SENSITIVE = CaseFilter(sensitive=True)
SPREAD_BASE = 10  # values behind a median or percentile
BOLD = Font(bold=True)
PERCENT = "0%"
WITHHELD = _(
    "Withheld this month: too few complaints and feedback to break down "
    "without singling someone out."
)

NOTES = [
    (
        _("Period"),
        _(
            "Calendar months in Kyiv time (Europe/Kyiv): a case belongs to the month in "
            "which it was received, across daylight-saving changes."
        ),
    ),
    (
        _("Complaints and feedback"),
        _(
            "Every case received in the month that is not a sensitive report. The "
            "indicators and every breakdown ({dimensions}) are of these."
        ),
    ),
    (
        _("Sensitive reports"),
        _(
            "Fraud and corruption, sexual exploitation and abuse, trafficking: one count "
            "per month, never broken down or mixed into another figure, so that no one can "
            "be singled out."
        ),
    ),
    (
        _("Acknowledged within SLA"),
        _(
            "Share of the month's complaints and feedback acknowledged at or before their "
            "deadline (exactly on time counts), a never-acknowledged case past its "
            "deadline being a miss. Shown once every case of the month has reached its "
            "deadline (or been acknowledged), over at least 10 cases, to whole percent."
        ),
    ),
    (_("Resolved within SLA"), _("The same for resolution.")),
    (
        _("Outcome, referral target"),
        _(
            "What became of the month's complaints and feedback once closed (none: not "
            "closed yet), and the partner each was last referred to (none: never referred). "
            "A case closed as a duplicate of another is in no figure: the case kept counts "
            "once. A case waiting for the reporter is on no clock: never overdue, and not a "
            "resolution miss while it waits."
        ),
    ),
    (
        _("Hours to acknowledge / resolve"),
        _(
            "From receipt; the median (mean of the two middle values for an even count) "
            "and the 90th percentile by nearest rank; shown over at least 10 cases."
        ),
    ),
    (
        _("Open, overdue"),
        _(
            "The month's complaints and feedback still open when the workbook was made, "
            "and of those past a deadline."
        ),
    ),
    (
        _("Satisfaction"),
        _(
            "Ratings of assistance given in the month, 1 (very dissatisfied) to 5 "
            "(very satisfied); satisfied means 4 or 5. Reasons are asked for scores 1 and 2. "
            "Ratings by score are shown when every score has at least 5."
        ),
    ),
    (
        _("Handling satisfaction"),
        _(
            "The score reporters gave to how their closed complaint was handled, for the "
            "month's complaints and feedback."
        ),
    ),
    (
        _("Feedback points"),
        _(
            "Answers to the surveys of the feedback points open in the month (posters "
            "with a QR code where assistance is given), and the ratings given there. A "
            "response rate is the month's survey responses over the people the point "
            "says it serves. Satisfied means 4 or 5 on a 1–5 scale question. Counts "
            "below 5 are shown as '<5', with no mean or share."
        ),
    ),
    (
        _("Suppression"),
        _(
            "Counts below 5 are shown as '<5', and a total that would reveal one as "
            "'suppressed'. In a breakdown, groups below 5 are pooled with the smallest "
            "other group into 'Other', so that no pooled group can be worked out; when a "
            "breakdown has no group of 5 or more, the month's count of complaints and "
            "feedback is withheld and nothing is broken down. A share is shown only over a "
            "published count of at least 10, to whole percent; a mean only over a published "
            "count. No withheld count can be worked out from anything in this workbook."
        ),
    ),
]
# A breakdown's row for cases without the value (no programme given).
NOT_GIVEN = _("Not given")
# What a withheld total says (storage.suppression's mark), in the workbook's language.
SUPPRESSED = _("suppressed")
# A sheet per breakdown, by name.
BY_TITLE = {
    "category": _("By category"),
    "oblast": _("By oblast"),
    "programme": _("By programme"),
    "language": _("By language"),
    "channel": _("By channel"),
    "outcome": _("By outcome"),
    "referral_target": _("By referral target"),
}


# What a workbook holds ------------------------------------------------------------------


@dataclass(frozen=True)
class Percent:
    """A share, written with a percent format."""

    value: float


Cell = int | float | str | Percent | None


@dataclass(frozen=True)
class Chart:
    kind: str  # "stacked" (columns), "bars" or "line"
    title: str
    y_title: str
    data: tuple[int, int, int, int]  # min_col, max_col, min_row, max_row (titles in min_row)
    categories: tuple[int, int, int]  # col, min_row, max_row
    anchor: str
    x_title: str = ""


@dataclass
class Sheet:
    title: str
    rows: list[list[Cell]] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)
    bold: set[int] = field(default_factory=set)  # 1-based rows
    freeze: str | None = None
    autofilter: str | None = None
    charts: list[Chart] = field(default_factory=list)

    def head(self, row: list[Cell]) -> None:
        self.rows.append(row)
        self.bold.add(len(self.rows))


@dataclass(frozen=True)
class MonthlyWorkbook:
    month: str
    path: Path
    sheets: list[str]


# What a month's figures are computed from --------------------------------------------------


@dataclass
class MonthData:
    key: str
    complaints: CaseIndicators
    sensitive: int
    partitions: dict[str, dict[str, int]]  # dimension -> key -> complaints


@dataclass
class ReportData:
    """Everything a workbook is made from: the month, the one before, the trend."""

    this: MonthData
    prior: MonthData
    trend: list[MonthData]
    satisfaction: dict[str, StatsReport]  # this / prior: ratings and by programme
    groups: dict[str, list[GroupIndicators]]  # the month's complaints per dimension
    # The feedback points open in the month, with their figures (issue 24).
    feedback: list[PointResults] = field(default_factory=list)


class MonthlyReport:
    def __init__(
        self,
        core: Core,
        *,
        suppressed: bool = True,
        gettext: Callable[[str], str] | None = None,
        language: str = "en",
    ) -> None:
        """``gettext``: the workbook's language (sheet names, labels, notes, and the
        names of categories, oblasts, programmes, languages and reasons, ``language``
        being its code); without it, English labels and the codes themselves."""
        self.core = core
        self.suppressed = suppressed
        self.gettext = gettext
        self.language = language

    def _name(self, dimension: str, key: str) -> str:
        if self.gettext is None:
            return key
        if key == NONE_KEY:
            return self.gettext(NOT_GIVEN)
        catalog = self.core.catalog
        try:
            if dimension == "programme":
                return catalog.programme(key).name(self.language)
            if dimension == "oblast":
                return catalog.oblast(key).name(self.language)
        except (UnknownProgramme, UnknownOblast):
            return key
        known = {
            "category": names.CATEGORY,
            "language": names.LANGUAGE,
            "channel": names.CHANNEL,
            "reason": names.REASON,
        }
        message = known.get(dimension, {}).get(key)
        return self.gettext(message) if isinstance(message, str) else key

    async def build(self, first_day: date, target: Path) -> MonthlyWorkbook:
        sheets = await self.content(first_day)
        write(sheets, target)
        return MonthlyWorkbook(month=_key(first_day), path=target, sheets=[s.title for s in sheets])

    async def content(self, first_day: date) -> list[Sheet]:
        """Every sheet's cells as they will be written."""
        data = await self.gather(first_day)
        return Publisher(
            self.suppressed, self._tiebreak, self.gettext, self._name, self.language
        ).sheets(data)

    def _tiebreak(self, month: str, dimension: str) -> Callable[[str], bytes]:
        """Orders equally small rows by a keyed hash a reader cannot compute."""

        def order(key: str) -> bytes:
            return self.core.crypto.sign(f"{month}|{dimension}|{key}".encode(), "workbook-pool")

        return order

    async def gather(self, first_day: date) -> ReportData:
        zone = ZoneInfo(self.core.settings.timezone)
        this = month_period(first_day, zone)
        before = month_period(previous_month(first_day), zone)
        trend_first = first_day
        for _month in range(TREND_MONTHS - 1):
            trend_first = previous_month(trend_first)
        trend = Period(trend_first, this.last, zone)
        async with self.core.database.read_only() as session:
            stats = StatsService(session, self.core)
            complaints = await stats.report(ANALYST, COMPLAINTS, trend, group_by="month")
            sensitive = await stats.report(ANALYST, SENSITIVE, trend, group_by="month")
            partitions: dict[str, dict[str, dict[str, int]]] = defaultdict(
                lambda: {d: defaultdict(int) for d in DIMENSIONS}
            )
            for row in await stats.received(ANALYST, COMPLAINTS, trend, ["month", *DIMENSIONS]):
                month, keys, count = row[0], row[1:-1], int(row[-1])
                for dimension, key in zip(DIMENSIONS, keys, strict=True):
                    partitions[month][dimension][str(key)] += count
            satisfaction = {
                name: await stats.report(ANALYST, COMPLAINTS, period)
                for name, period in (("this", this), ("prior", before))
            }
            groups = {
                d: (await stats.report(ANALYST, COMPLAINTS, this, group_by=d)).groups
                for d in DIMENSIONS
            }
            feedback = (
                await FeedbackResultsService(session, self.core).report(ANALYST, this)
            ).points
        sensitive_by = {g.key: g.cases.received for g in sensitive.groups}
        # The trend's twelve months hold this month and the one before.
        months = [
            MonthData(
                key=g.key,
                complaints=g.cases,
                sensitive=sensitive_by.get(g.key, 0),
                partitions={d: dict(v) for d, v in partitions[g.key].items()},
            )
            for g in complaints.groups
        ]
        by_key = {m.key: m for m in months}
        return ReportData(
            this=by_key[_key(first_day)],
            prior=by_key[_key(before.first)],
            trend=months,
            satisfaction=satisfaction,
            groups=groups,
            feedback=feedback,
        )


# Publishing: what may be shown ---------------------------------------------------------------


@dataclass(frozen=True)
class MonthView:
    """A month's counts as published, and its breakdowns' pools."""

    data: MonthData
    complaints: int | str
    sensitive: int | str
    total: int | str
    pools: dict[str, Pooled | None]


class Publisher:
    def __init__(
        self,
        suppressed: bool,
        tiebreak: Callable[[str, str], Callable[[str], bytes]],
        gettext: Callable[[str], str] | None = None,
        name: Callable[[str, str], str] | None = None,
        language: str = "en",
    ) -> None:
        self.suppressed = suppressed
        # A survey's labels are the M&E unit's own words in each language, no msgid.
        self.language = language_of(language)
        self.tiebreak = tiebreak
        # What a breakdown's key is called (a category's or a programme's name); the
        # code itself without a language.
        self.name: Callable[[str, str], str] = name or (lambda _dimension, key: key)
        # The workbook's language: every title, label and note goes through it once the
        # figures are decided (English when none is given).
        self.t: Callable[[str], str] = gettext or (lambda text: text)

    def other(self, members: list[str]) -> str:
        return self.t(_("Other ({members})")).format(members=", ".join(members))

    # Rules --------------------------------------------------------------------------------

    def count(self, value: int) -> int | str:
        if self.suppressed and value < THRESHOLD:
            return Mark.SMALL.value
        return value

    def share(self, part: int, base: int | str, decided: int, cases: int) -> Percent | None:
        """``part`` of a published ``base``, once all its ``cases`` are ``decided``."""
        if not self.suppressed:
            return Percent(round(part / decided, 4)) if decided else None
        if isinstance(base, str) or decided != cases:
            return None
        value = share(part, base)
        return Percent(value) if value is not None else None

    def spread(self, value: float | None, base: int | str, values: int) -> float | None:
        """A median or percentile: over 10 values or more of a published base of 10."""
        if not self.suppressed:
            return value
        if isinstance(base, str) or base < SPREAD_BASE or values < SPREAD_BASE:
            return None
        return value

    def mean(self, satisfaction: Satisfaction, count: int | str) -> float | None:
        if self.suppressed and isinstance(count, str):
            return None
        return satisfaction.mean

    def satisfied(self, satisfaction: Satisfaction, count: int | str) -> Percent | None:
        happy = sum(satisfaction.distribution.get(str(s), 0) for s in SATISFIED)
        if not self.suppressed:
            raw = satisfaction.share_satisfied
            return Percent(raw) if raw is not None else None
        if isinstance(count, str):
            return None
        value = share(happy, count)
        return Percent(value) if value is not None else None

    def pooled(self, values: dict[str, int], month: str, dimension: str) -> Pooled | None:
        if not self.suppressed:
            return Pooled(dict(sorted((k, v) for k, v in values.items() if v)), [], 0)
        return pool(values, self.tiebreak(month, dimension))

    def month(self, data: MonthData) -> MonthView:
        received = data.complaints.received
        pools = {d: self.pooled(data.partitions.get(d, {}), data.key, d) for d in DIMENSIONS}
        complaints: int | str = received
        if self.suppressed and received < THRESHOLD:
            complaints = Mark.SMALL.value
        elif self.suppressed and any(p is None for p in pools.values()):
            # A breakdown with no row of 5 cannot be shown, and with this count published
            # its rows could be worked out: the count goes, and every breakdown with it.
            complaints = Mark.HIDDEN.value
        sensitive = self.count(data.sensitive)
        everything = received + data.sensitive
        total: int | str = everything
        if self.suppressed and (isinstance(complaints, str) or isinstance(sensitive, str)):
            total = Mark.SMALL.value if everything < THRESHOLD else Mark.HIDDEN.value
        return MonthView(data, complaints, sensitive, total, pools)

    def ratings(self, report: StatsReport, month: str) -> tuple[int | str, Pooled | None]:
        """The month's ratings as published, and the programmes' pool."""
        count = report.satisfaction.count
        programmes = {k: v.count for k, v in report.satisfaction_by_programme.items()}
        pooled = self.pooled(programmes, month, "rating programme")
        if not self.suppressed:
            return count, pooled
        if count < THRESHOLD:
            return Mark.SMALL.value, None
        if pooled is None:
            return Mark.HIDDEN.value, None
        return count, pooled

    # Sheets --------------------------------------------------------------------------------

    def sheets(self, data: ReportData) -> list[Sheet]:
        views = {m.key: self.month(m) for m in data.trend}
        this = views[data.this.key]
        prior = views[data.prior.key]
        result = [self.summary(this, prior, data)]
        for dimension in DIMENSIONS:
            result.append(self.breakdown(dimension, this, data.groups[dimension]))
        result.append(self.satisfaction(data.satisfaction["this"], data.this.key))
        result.append(self.feedback_points(data.feedback))
        result.append(self.trend([views[m.key] for m in data.trend]))
        result.append(self.notes())
        return [self.translated(sheet) for sheet in result]

    def translated(self, sheet: Sheet) -> Sheet:
        """The sheet in the workbook's language: its title, its charts' titles and every
        text cell that is a label (figures, months and codes are no msgid and stay)."""
        t = self.t
        sheet.title = t(sheet.title)
        sheet.rows = [[t(v) if isinstance(v, str) else v for v in row] for row in sheet.rows]
        sheet.charts = [
            replace(
                c, title=t(c.title), y_title=t(c.y_title), x_title=t(c.x_title) if c.x_title else ""
            )
            for c in sheet.charts
        ]
        return sheet

    def indicators(self, view: MonthView, report: StatsReport) -> list[tuple[str, Cell]]:
        c = view.data.complaints
        base = view.complaints
        ratings, _pool = self.ratings(report, view.data.key)
        handling = c.handling_satisfaction
        handled = self.count(handling.count)
        return [
            (_("Complaints and feedback received"), base),
            (_("Sensitive reports received"), view.sensitive),
            (_("All cases received"), view.total),
            (
                _("Share acknowledged within SLA"),
                self.share(c.acknowledged_within_sla, base, c.acknowledge_decided, c.received),
            ),
            (
                _("Share resolved within SLA"),
                self.share(c.resolved_within_sla, base, c.resolve_decided, c.received),
            ),
            (
                _("Median hours to acknowledge"),
                self.spread(c.median_hours_to_acknowledge, base, c.acknowledged),
            ),
            (
                _("90th percentile hours to acknowledge"),
                self.spread(c.p90_hours_to_acknowledge, base, c.acknowledged),
            ),
            (
                _("Median hours to resolve"),
                self.spread(c.median_hours_to_resolve, base, c.resolved),
            ),
            (
                _("90th percentile hours to resolve"),
                self.spread(c.p90_hours_to_resolve, base, c.resolved),
            ),
            (_("Open complaints and feedback"), self.count(c.open)),
            (_("Overdue complaints and feedback"), self.count(c.overdue)),
            (_("Satisfaction ratings"), ratings),
            (_("Mean satisfaction (1–5)"), self.mean(report.satisfaction, ratings)),
            (_("Share satisfied (4–5)"), self.satisfied(report.satisfaction, ratings)),
            (_("Handling ratings of closed complaints"), handled),
            (_("Mean handling satisfaction (1–5)"), self.mean(handling, handled)),
            (_("Share satisfied with handling"), self.satisfied(handling, handled)),
        ]

    def summary(self, this: MonthView, prior: MonthView, data: ReportData) -> Sheet:
        sheet = Sheet(_("Summary"), widths=[42, 14, 14, 12], freeze="A4")
        sheet.head(
            [
                self.t(_("Holos monthly accountability workbook: {month}")).format(
                    month=this.data.key
                )
            ]
        )
        sheet.rows.append([])
        sheet.head([_("Indicator"), this.data.key, prior.data.key, _("Change")])
        now = self.indicators(this, data.satisfaction["this"])
        before = self.indicators(prior, data.satisfaction["prior"])
        for (label, current), (_same, previous) in zip(now, before, strict=True):
            sheet.rows.append([label, current, previous, _change(current, previous)])
        return sheet

    def breakdown(self, dimension: str, view: MonthView, groups: list[GroupIndicators]) -> Sheet:
        sheet = Sheet(BY_TITLE[dimension], widths=[30, 15, 18, 18, 16], freeze="A2")
        sheet.head(
            [
                breakdowns.BY_NAME[dimension].label,
                _("Complaints and feedback"),
                _("Acknowledged within SLA"),
                _("Resolved within SLA"),
                _("Median hours to resolve"),
            ]
        )
        pooled = view.pools[dimension]
        if isinstance(view.complaints, str) or pooled is None:
            sheet.rows.append([WITHHELD])
            return sheet
        by_key = {g.key: g.cases for g in groups}
        for key, count in pooled.kept.items():
            c = by_key[key]
            sheet.rows.append(
                [
                    self.name(dimension, key),
                    count,
                    self.share(c.acknowledged_within_sla, count, c.acknowledge_decided, count),
                    self.share(c.resolved_within_sla, count, c.resolve_decided, count),
                    self.spread(c.median_hours_to_resolve, count, c.resolved),
                ]
            )
        if pooled.pooled:
            sheet.rows.append(
                [self.other([self.name(dimension, k) for k in pooled.pooled]), pooled.other]
            )
        sheet.rows.append([_("Total"), view.complaints])
        sheet.autofilter = f"A1:E{len(sheet.rows) - 1}"
        return sheet

    def satisfaction(self, report: StatsReport, month: str) -> Sheet:
        sheet = Sheet(_("Satisfaction"), widths=[34, 10, 12, 20])
        s = report.satisfaction
        count, programmes = self.ratings(report, month)
        complete = not isinstance(count, str) and all(
            s.distribution.get(str(score), 0) >= THRESHOLD for score in SCORES
        )
        sheet.head([_("Score"), _("Ratings")])
        if complete or not self.suppressed:
            for score in SCORES:
                sheet.rows.append([score, s.distribution.get(str(score), 0)])
            sheet.charts.append(
                Chart(
                    "bars",
                    _("Satisfaction distribution"),
                    _("Ratings"),
                    (2, 2, 1, 6),
                    (1, 2, 6),
                    "E2",
                    x_title=_("Score (1 very dissatisfied … 5 very satisfied)"),
                )
            )
        else:
            sheet.rows.append([_("Shown when every score has at least 5 ratings.")])
        sheet.rows.append([])
        sheet.head([_("What went wrong (scores 1–2)"), _("Mentions")])
        for reason in s.top_reasons:
            sheet.rows.append(
                [self.name("reason", str(reason["reason"])), self.count(int(reason["count"]))]
            )
        sheet.rows.append([])
        sheet.head([_("Programme"), _("Ratings"), _("Mean (1–5)"), _("Share satisfied (4–5)")])
        if programmes is None:
            sheet.rows.append([_("Withheld this month: too few ratings to break down.")])
            return sheet
        for programme, ratings in programmes.kept.items():
            sat = report.satisfaction_by_programme[programme]
            sheet.rows.append(
                [
                    self.name("programme", programme),
                    ratings,
                    self.mean(sat, ratings),
                    self.satisfied(sat, ratings),
                ]
            )
        if programmes.pooled:
            sheet.rows.append(
                [
                    self.other([self.name("programme", k) for k in programmes.pooled]),
                    programmes.other,
                ]
            )
        sheet.rows.append([_("Total"), count])
        return sheet

    def feedback_points(self, points: list[PointResults]) -> Sheet:
        """Per feedback point open in the month: its responses (and the response rate
        where it says how many it serves), its ratings, and each 1–5 scale question's
        answers, mean and share satisfied, under the counts' rules."""
        sheet = Sheet(_("Feedback points"), widths=[28, 9, 16, 18, 40, 11, 11, 14, 12], freeze="A2")
        sheet.head(
            [
                _("Feedback point"),
                _("Code"),
                _("Programme"),
                _("Oblast"),
                _("Question"),
                _("Answers"),
                _("Mean (1–5)"),
                _("Share satisfied (4–5)"),
                _("Response rate"),
            ]
        )
        if not points:
            sheet.rows.append([_("No feedback point was open this month.")])
            return sheet
        for result in points:
            p = result.point
            where: list[Cell] = [
                p.name,
                p.code,
                self.name("programme", p.programme),
                self.name("oblast", p.oblast),
            ]
            if result.figures is not None:
                responses = self.count(result.responses)
                rate: Cell = None
                if p.served and not self.suppressed:
                    rate = Percent(round(result.responses / p.served, 4))
                elif p.served and not isinstance(responses, str):
                    value = share(result.responses, p.served)
                    rate = Percent(value) if value is not None else None
                sheet.rows.append([*where, _("Survey responses"), responses, None, None, rate])
                for figures in result.figures.questions:
                    if figures.kind is not QuestionKind.SCALE or figures.demographic:
                        continue
                    question = result.survey.question(figures.name) if result.survey else None
                    label = question.label(self.language) if question else figures.name
                    answered = self.count(figures.answered)
                    mean = figures.mean
                    if self.suppressed and isinstance(answered, str):
                        mean = None
                    happy: Cell = None
                    if figures.satisfied is not None:
                        if not self.suppressed:
                            raw = figures.share_satisfied
                            happy = Percent(raw) if raw is not None else None
                        elif not isinstance(answered, str):
                            value = share(figures.satisfied, answered)
                            happy = Percent(value) if value is not None else None
                    sheet.rows.append([*where, label, answered, mean, happy, None])
            ratings = self.count(result.ratings.count)
            sheet.rows.append(
                [
                    *where,
                    _("Satisfaction ratings"),
                    ratings,
                    self.mean(result.ratings, ratings),
                    self.satisfied(result.ratings, ratings),
                    None,
                ]
            )
        sheet.autofilter = f"A1:I{len(sheet.rows)}"
        return sheet

    def trend(self, months: list[MonthView]) -> Sheet:
        categories = sorted(
            {k for m in months for k, v in m.data.partitions["category"].items() if v}
        )
        sheet = Sheet(_("Trend"), widths=[10] + [20] * len(categories) + [14] * 4, freeze="B2")
        sheet.head(
            [
                _("Month"),
                *(self.name("category", c) for c in categories),
                _("Other (pooled)"),
                _("Complaints and feedback"),
                _("Sensitive reports"),
                _("All cases"),
            ]
        )
        for view in months:
            pooled = view.pools["category"]
            shown = not isinstance(view.complaints, str) and pooled is not None
            row: list[Cell] = [view.data.key]
            for category in categories:
                if not shown or pooled is None:
                    row.append(None)
                elif category in pooled.kept:
                    row.append(pooled.kept[category])
                else:
                    row.append(_("pooled") if category in pooled.pooled else None)
            row.append(pooled.other if shown and pooled is not None and pooled.pooled else None)
            row += [view.complaints, view.sensitive, view.total]
            sheet.rows.append(row)
        count = len(months)
        if categories:
            sheet.charts.append(
                Chart(
                    "stacked",
                    _("Complaints and feedback by category per month"),
                    _("Cases"),
                    (2, len(categories) + 1, 1, count + 1),
                    (1, 2, count + 1),
                    f"A{count + 4}",
                )
            )
        start = count + 26
        while len(sheet.rows) < start - 1:
            sheet.rows.append([])
        sheet.head([_("Month"), _("Acknowledged within SLA"), _("Resolved within SLA")])
        for view in months:
            c, base = view.data.complaints, view.complaints
            sheet.rows.append(
                [
                    view.data.key,
                    self.share(c.acknowledged_within_sla, base, c.acknowledge_decided, c.received),
                    self.share(c.resolved_within_sla, base, c.resolve_decided, c.received),
                ]
            )
        end = start + count
        sheet.charts.append(
            Chart(
                "line",
                _("SLA compliance per month"),
                _("Share within SLA"),
                (2, 3, start, end),
                (1, start + 1, end),
                f"E{start}",
            )
        )
        return sheet

    def notes(self) -> Sheet:
        sheet = Sheet(_("Notes"), widths=[28, 110])
        sheet.head([_("Term"), _("Definition")])
        dimensions = ", ".join(self.t(breakdowns.BY_NAME[d].label).lower() for d in DIMENSIONS)
        for term, definition in NOTES:
            sheet.rows.append([term, self.t(definition).format(dimensions=dimensions)])
        if not self.suppressed:
            sheet.rows.append(
                [
                    _("Not for publication"),
                    _(
                        "This workbook was made without suppression "
                        "(--no-suppression): do not share it outside the mission."
                    ),
                ]
            )
        return sheet


def _change(current: Cell, previous: Cell) -> Cell:
    if isinstance(current, Percent) and isinstance(previous, Percent):
        return Percent(round(current.value - previous.value, 4))
    if isinstance(current, int | float) and isinstance(previous, int | float):
        return round(current - previous, 4)
    return None


# Writing ----------------------------------------------------------------------------------


def write(sheets: list[Sheet], target: Path) -> None:
    """The sheets as they are: every text cell a string (never a formula), shares with a
    percent format, charts over the cells."""
    book = Workbook()
    book.remove(book.active)
    for content in sheets:
        sheet = book.create_sheet(content.title)
        for r, values in enumerate(content.rows, start=1):
            for c, value in enumerate(values, start=1):
                _cell(sheet, r, c, value)
            if r in content.bold:
                for c in range(1, len(values) + 1):
                    sheet.cell(r, c).font = BOLD
        if content.rows and content.rows[0] and content is sheets[0]:
            sheet["A1"].font = Font(bold=True, size=14)
        for index, width in enumerate(content.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = content.freeze
        if content.autofilter:
            sheet.auto_filter.ref = content.autofilter
        for chart in content.charts:
            sheet.add_chart(_chart(sheet, chart), chart.anchor)
    book.save(target)


def _cell(sheet: Worksheet, row: int, column: int, value: Cell) -> None:
    if value is None:
        return
    if isinstance(value, Percent):
        cell = sheet.cell(row, column, value.value)
        cell.number_format = PERCENT
        return
    if isinstance(value, str):
        cell = sheet.cell(row, column, reveal(value))
        as_text(cell)
        return
    cell = sheet.cell(row, column, value)
    if isinstance(value, float):
        cell.number_format = "0.00"


def _chart(sheet: Worksheet, spec: Chart) -> Any:
    chart: Any
    if spec.kind == "line":
        chart = LineChart()
        chart.y_axis.number_format = PERCENT
        chart.width, chart.height = 24, 10
    else:
        chart = BarChart()
        if spec.kind == "stacked":
            chart.type = "col"
            chart.grouping = "stacked"
            chart.overlap = 100
            chart.width, chart.height = 24, 10
    chart.title = spec.title
    chart.y_axis.title = spec.y_title
    if spec.x_title:
        chart.x_axis.title = spec.x_title
    min_col, max_col, min_row, max_row = spec.data
    chart.add_data(
        Reference(sheet, min_col=min_col, max_col=max_col, min_row=min_row, max_row=max_row),
        titles_from_data=True,
    )
    col, first, last = spec.categories
    chart.set_categories(Reference(sheet, min_col=col, min_row=first, max_row=last))
    return chart


def _key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
