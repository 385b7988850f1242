"""The M&E dashboard: indicators for a period with charts and their tables,
exports with the same filters, and the monthly accountability workbook.

For analysts and focal points only. What a role counts is decided in storage
(:mod:`storage.services.stats`): a focal point sees sensitive cases by category, an
analyst only as one ``sensitive`` group. Charts are drawn in the browser by a vendored
Chart.js from numbers the page carries as JSON (no inline script: the CSP forbids it);
each chart has a table with the same numbers beside it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse

from admin_api.console import labels
from admin_api.console.routes.feedback_results import chart_data, point_view
from admin_api.console.web import PREFIX, ConsoleRoute, ReadViewerDep, Viewer, render, require
from admin_api.web.downloads import DOWNLOAD_HEADERS, export_response
from admin_api.web.i18n import STAFF_LANGUAGES, Texts, translations
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage import names
from storage.breakdowns import BY_NAME
from storage.core import Core
from storage.enums import Language, RatingKind, Role
from storage.i18n import _
from storage.periods import (
    InvalidPeriod,
    Period,
    in_range,
    local_date,
    parse_month,
    previous_month,
)
from storage.repositories.filters import CaseFilter, RatingFilter
from storage.services.exports import (
    MEDIA_TYPES,
    ExportFormat,
    ExportKind,
    ExportRequest,
    ExportService,
)
from storage.services.feedback_export import start_feedback
from storage.services.feedback_results import FeedbackResultsService
from storage.services.monthly_report import MonthlyReport
from storage.services.stats import GROUP_BY, NONE_KEY, SENSITIVE_GROUP, StatsReport, StatsService
from storage.tallies import SCORES

router = APIRouter(prefix=f"{PREFIX}/indicators", route_class=ConsoleRoute, include_in_schema=False)

ROLES = frozenset({Role.ANALYST, Role.FOCAL_POINT})


# What each breakdown is called (storage.breakdowns, which marks the msgids).
GROUP_NAMES = {name: BY_NAME[name].label for name in GROUP_BY}
# The same words as the bot's buttons (the handlers' catalog holds them too).
REASONS = names.REASON
SENSITIVE_NAME = _("Sensitive reports (one group)")
NONE_NAME = _("Not given")
# What "none" means where it is not "not given".
NONE_NAMES = {"outcome": _("Not closed yet"), "referral_target": _("Not referred")}


def may_open(viewer: Viewer) -> bool:
    return viewer.actor.role in ROLES


def _date(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if in_range(day) else None


@dataclass(frozen=True)
class Filters:
    """The dashboard's query string, read leniently like the worklist's: a value the
    form cannot produce is dropped, so an old bookmark still opens the page."""

    first: date | None = None
    last: date | None = None
    category: str = ""
    oblast: str = ""
    programme: str = ""
    language: str = ""
    group_by: str = ""

    @classmethod
    def of(cls, request: Request, core: Core, categories: list[str]) -> Filters:
        p = request.query_params

        def one(name: str, allowed: set[str] | list[str] | tuple[str, ...]) -> str:
            value = p.get(name, "")
            return value if value in allowed else ""

        catalog = core.catalog
        return cls(
            first=_date(p.get("from")),
            last=_date(p.get("to")),
            category=one("category", categories),
            oblast=one("oblast", {o.code for o in catalog.oblasts}),
            programme=one("programme", {x.code for x in catalog.programmes}),
            language=one("language", {x.value for x in Language}),
            group_by=one("group_by", GROUP_BY),
        )

    @property
    def refined(self) -> bool:
        """Whether a filter or a breakdown is set (their panel then shows open)."""
        return any((self.category, self.oblast, self.programme, self.language, self.group_by))

    def values(self, period: Period | None = None) -> dict[str, str]:
        first = period.first if period else self.first
        last = period.last if period else self.last
        values = {
            "from": first.isoformat() if first else "",
            "to": last.isoformat() if last else "",
            "category": self.category,
            "oblast": self.oblast,
            "programme": self.programme,
            "language": self.language,
            "group_by": self.group_by,
        }
        return {k: v for k, v in values.items() if v}

    def params(self, period: Period | None = None, **more: str) -> str:
        return urlencode({**self.values(period), **more})

    def case_filter(self) -> CaseFilter:
        return CaseFilter(
            categories=[self.category] if self.category else [],
            oblasts=[self.oblast] if self.oblast else [],
            programmes=[self.programme] if self.programme else [],
            languages=[Language(self.language)] if self.language else [],
        )

    def rating_filter(self) -> RatingFilter:
        return RatingFilter(
            kinds=(RatingKind.ASSISTANCE.value,),
            programmes=[self.programme] if self.programme else [],
            languages=[self.language] if self.language else [],
        )


def categories_for(viewer: Viewer, core: Core) -> list[str]:
    """The categories a role may filter by: an analyst never picks a sensitive one (it
    sees them only as one group), and neither role filters by what it may not count."""
    if viewer.actor.can_see_sensitive:
        return [c.code for c in core.catalog.categories]
    return [c.code for c in core.catalog.categories if not c.sensitive]


def period_of(filters: Filters, service: StatsService, texts: Texts) -> tuple[Period, str]:
    """The asked-for period, or this month with a note saying why not."""
    try:
        return service.period(filters.first, filters.last), ""
    except InvalidPeriod as error:
        note = (
            texts._("The first day is after the last; showing this month instead.")
            if error.parameter == "from"
            else texts._("That period is too long; showing this month instead.")
        )
        return service.period(None, None), note


def key_name(group: str, key: str, viewer: Viewer, core: Core) -> str:
    t = viewer.texts.gettext
    if key == SENSITIVE_GROUP:
        return t(SENSITIVE_NAME)
    if key == NONE_KEY:
        return t(NONE_NAMES.get(group, NONE_NAME))
    if group == "category":
        return t(labels.CATEGORY[key]) if key in labels.CATEGORY else key
    if group == "language":
        return t(labels.LANGUAGE[key]) if key in labels.LANGUAGE else key
    if group == "channel":
        return t(labels.CHANNEL[key]) if key in labels.CHANNEL else key
    if group == "outcome":
        return t(labels.OUTCOME[key]) if key in labels.OUTCOME else key
    if group == "oblast":
        return core.catalog.oblast(key).name(viewer.language)
    if group == "programme":
        return core.catalog.programme(key).name(viewer.language)
    return key


def percent(value: float | None) -> float | None:
    return round(value * 100, 1) if value is not None else None


def charts(report: StatsReport, viewer: Viewer, core: Core) -> dict[str, Any]:
    """The three charts' numbers, for Chart.js and for the tables beside them."""
    monthly = report.months
    months = [m.key for m in monthly]
    codes = sorted({code for m in monthly for code in m.received_by_category})
    by_category = {
        "labels": months,
        "series": [
            {
                "label": key_name("category", code, viewer, core),
                "data": [m.received_by_category.get(code, 0) for m in monthly],
            }
            for code in codes
        ],
        "totals": [m.cases.received for m in monthly],
    }
    sla = {
        "labels": months,
        "series": [
            {
                "label": viewer.texts._("Acknowledged within SLA, %"),
                "data": [percent(r.cases.share_acknowledged_within_sla) for r in monthly],
            },
            {
                "label": viewer.texts._("Resolved within SLA, %"),
                "data": [percent(r.cases.share_resolved_within_sla) for r in monthly],
            },
        ],
    }
    satisfaction = {
        "labels": [str(s) for s in SCORES],
        "series": [
            {
                "label": viewer.texts._("Ratings"),
                "data": [report.satisfaction.distribution[str(s)] for s in SCORES],
            }
        ],
    }
    return {"by_category": by_category, "sla": sla, "satisfaction": satisfaction}


@router.get("")
async def dashboard(
    request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    texts = viewer.texts
    require(may_open(viewer), texts)
    categories = categories_for(viewer, core)
    filters = Filters.of(request, core, categories)
    service = StatsService(session, core)
    period, note = period_of(filters, service, texts)
    flt = filters.case_filter()
    # The month pieces for the charts come from the same queries as the whole.
    report = await service.report(
        viewer.actor, flt, period, group_by=filters.group_by or None, months=True
    )
    feedback = await FeedbackResultsService(session, core).report(
        viewer.actor,
        period,
        programme=filters.programme or None,
        oblast=filters.oblast or None,
    )
    points = [point_view(r, viewer, core) for r in feedback.points]
    data = charts(report, viewer, core)
    data["feedback"] = chart_data(points, viewer)
    catalog = core.catalog
    zone = period.zone
    last_month = previous_month(local_date(core.clock.now(), zone).replace(day=1))
    return render(
        request,
        "indicators.html",
        texts,
        viewer,
        filters=filters,
        period=period,
        note=note,
        report=report,
        data=data,
        feedback_points=points,
        period_params=urlencode({"from": period.first.isoformat(), "to": period.last.isoformat()}),
        groups=[(key_name(report.group_by or "", g.key, viewer, core), g) for g in report.groups],
        group_name=texts.gettext(GROUP_NAMES[report.group_by]) if report.group_by else "",
        reasons=[
            (texts.gettext(REASONS.get(r["reason"], r["reason"])), r["count"])
            for r in report.satisfaction.top_reasons
        ],
        percent=percent,
        scores=[str(s) for s in SCORES],
        category_choices=[(c, key_name("category", c, viewer, core)) for c in categories],
        oblasts=[(o.code, o.name(viewer.language)) for o in catalog.oblasts],
        programmes=[(p.code, p.name(viewer.language)) for p in catalog.programmes],
        languages=[(x.value, texts.gettext(labels.LANGUAGE[x.value])) for x in Language],
        group_choices=[(g, texts.gettext(GROUP_NAMES[g])) for g in GROUP_BY],
        export_params=filters.params(period, lang=viewer.language),
        default_month=last_month.strftime("%Y-%m"),
    )


@router.get("/export")
async def export(
    request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> StreamingResponse:
    """The dashboard's filters as a file, through the one export pipeline (same columns
    per role, same audit event as the API's); headers in the viewer's language."""
    texts = viewer.texts
    require(may_open(viewer), texts)
    filters = Filters.of(request, core, categories_for(viewer, core))
    service = StatsService(session, core)
    period = service.period(filters.first, filters.last)
    kind_value = request.query_params.get("kind", "")
    format_value = request.query_params.get("format", "")
    kind = ExportKind(kind_value) if kind_value in ("cases", "ratings") else ExportKind.CASES
    fmt = ExportFormat(format_value) if format_value in ("csv", "xlsx") else ExportFormat.CSV
    point = request.query_params.get("point", "")
    if kind_value == ExportKind.FEEDBACK.value and point:
        # One feedback point's responses, a column per question.
        feedback = ExportRequest(
            kind=ExportKind.FEEDBACK, period=period, lang=viewer.language, point=point
        )
        return export_response(
            await start_feedback(ExportService(core), session, viewer.actor, feedback, fmt, texts)
        )
    export_request = ExportRequest(
        kind=kind,
        period=period,
        cases=filters.case_filter(),
        ratings=filters.rating_filter(),
        lang=viewer.language,
    )
    return export_response(
        ExportService(core).start(session, viewer.actor, export_request, fmt, texts)
    )


@router.get("/monthly")
async def monthly_workbook(
    request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> Response:
    """What ``holos report monthly`` writes: the analyst's view, small counts withheld."""
    texts = viewer.texts
    require(may_open(viewer), texts)
    first_day = parse_month(request.query_params.get("month", ""))
    # The workbook's language: the one chosen in the form, else the page's.
    chosen = request.query_params.get("lang", "")
    language = chosen if chosen in STAFF_LANGUAGES else viewer.language
    ExportService(core).record_monthly(session, viewer.actor, first_day)
    with tempfile.TemporaryDirectory(prefix="holos-monthly-") as folder:
        path = Path(folder) / "monthly.xlsx"
        # A workbook is a few sheets of figures: small enough to hold in memory.
        report = MonthlyReport(core, gettext=translations(language).gettext, language=language)
        await report.build(first_day, path)
        content = path.read_bytes()
    name = f"holos-monthly-{first_day.strftime('%Y-%m')}.xlsx"
    return Response(
        content=content,
        media_type=MEDIA_TYPES[ExportFormat.XLSX],
        headers={"Content-Disposition": f'attachment; filename="{name}"', **DOWNLOAD_HEADERS},
    )
