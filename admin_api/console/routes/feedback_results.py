"""A feedback point's results (``/console/feedback-points/{code}/results``) and the
dashboard's feedback points section: per point and per question, a chart (Chart.js,
as the dashboard's, from the page's JSON) and a table with the same numbers.

Every staff role reads the figures; text answers are read by case workers (operators,
focal points) and counted for the others, as rating comments are
(:mod:`storage.services.feedback_results`). Demographic crossings are pooled below 5
in storage; a withheld figure is shown as "fewer than 5".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from admin_api.console.web import PREFIX, ConsoleRoute, ReadViewerDep, Viewer, render, require
from admin_api.web.downloads import export_response
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage.core import Core
from storage.enums import Language
from storage.i18n import _
from storage.periods import InvalidPeriod, Period, in_range
from storage.services.exports import ExportFormat, ExportKind, ExportRequest, ExportService
from storage.services.feedback_export import YES_NO_NAMES, start_feedback
from storage.services.feedback_results import FeedbackResultsService, PointResults
from storage.survey_results import QuestionFigures
from storage.surveys import Question, QuestionKind, Survey

router = APIRouter(
    prefix=f"{PREFIX}/feedback-points", route_class=ConsoleRoute, include_in_schema=False
)

KIND_NAMES = {
    QuestionKind.SCALE: _("Scale 1–5"),
    QuestionKind.CHOICE: _("One choice"),
    QuestionKind.YES_NO: _("Yes or no"),
    QuestionKind.TEXT: _("Short text"),
}
DEMOGRAPHIC_NAMES = {
    "sex": _("Sex"),
    "age_group": _("Age group"),
    "disability": _("Disability"),
}


def may_open(viewer: Viewer) -> bool:
    return viewer.actor.role is not None


def _date(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if in_range(day) else None


@dataclass(frozen=True)
class Row:
    name: str
    count: int | None  # None: withheld
    share: float | None = None
    mean: float | None = None
    share_satisfied: float | None = None


@dataclass(frozen=True)
class CrossTable:
    title: str
    withheld: bool
    rows: list[Row]


@dataclass(frozen=True)
class QuestionView:
    name: str
    label: str
    kind: str
    chart_id: str | None
    answered: int
    rows: list[Row]
    mean: float | None
    satisfied: int | None
    share_satisfied: float | None
    withheld: bool
    demographic: str
    texts: list[str] | None
    crossings: list[CrossTable] = field(default_factory=list)


@dataclass(frozen=True)
class PointView:
    result: PointResults
    questions: list[QuestionView]
    programme: str
    oblast: str


def choice_name(question: Question, key: str, viewer: Viewer) -> str:
    language = Language(viewer.language)
    for choice in question.choices:
        if choice.name == key:
            return choice.labels.get(language) or choice.labels.get(Language.EN) or key
    if question.kind is QuestionKind.YES_NO and key in YES_NO_NAMES:
        return viewer.texts.gettext(YES_NO_NAMES[key])
    return key


def _together(members: list[str], question: Question, viewer: Viewer) -> str:
    names = ", ".join(choice_name(question, m, viewer) for m in members)
    return viewer.texts._("Together: {members}").format(members=names)


def _question(
    figures: QuestionFigures, survey: Survey, viewer: Viewer, chart_id: str
) -> QuestionView:
    t = viewer.texts
    question = survey.question(figures.name)
    rows = [
        Row(choice_name(question, b.key, viewer), b.count, b.share) for b in figures.distribution
    ]
    if figures.pool is not None:
        rows.append(Row(_together(figures.pool.members, question, viewer), figures.pool.count))
    crossings = []
    for crossing in figures.crossings:
        by = survey.question(crossing.by)
        group = DEMOGRAPHIC_NAMES.get(crossing.demographic, crossing.demographic)
        crossings.append(
            CrossTable(
                title=t._("By {group}").format(group=t.gettext(group)),
                withheld=crossing.withheld,
                rows=[
                    Row(
                        _together(r.members, by, viewer)
                        if r.members
                        else choice_name(by, r.key, viewer),
                        r.count,
                        mean=r.mean,
                        share_satisfied=r.share_satisfied,
                    )
                    for r in crossing.rows
                ],
            )
        )
    drawn = figures.kind is not QuestionKind.TEXT and not figures.withheld
    return QuestionView(
        name=figures.name,
        label=question.label(Language(viewer.language)),
        kind=t.gettext(KIND_NAMES.get(figures.kind, figures.kind.value)),
        chart_id=chart_id if drawn else None,
        answered=figures.answered,
        rows=rows,
        mean=figures.mean,
        satisfied=figures.satisfied,
        share_satisfied=figures.share_satisfied,
        withheld=figures.withheld,
        demographic=t.gettext(DEMOGRAPHIC_NAMES[figures.demographic])
        if figures.demographic in DEMOGRAPHIC_NAMES
        else "",
        texts=figures.texts,
        crossings=crossings,
    )


def point_view(result: PointResults, viewer: Viewer, core: Core) -> PointView:
    survey = result.survey
    questions = []
    if result.figures is not None and survey is not None:
        questions = [
            _question(f, survey, viewer, f"chart-fp-{result.point.code}-{f.name}")
            for f in result.figures.questions
        ]
    catalog = core.catalog
    return PointView(
        result=result,
        questions=questions,
        programme=catalog.programme(result.point.programme).name(viewer.language),
        oblast=catalog.oblast(result.point.oblast).name(viewer.language),
    )


def chart_data(points: list[PointView], viewer: Viewer) -> list[dict[str, Any]]:
    """Each question's distribution for Chart.js (withheld bars are left out)."""
    charts = []
    for point in points:
        for q in point.questions:
            if q.chart_id is None:
                continue
            charts.append(
                {
                    "id": q.chart_id,
                    "labels": [r.name for r in q.rows],
                    "series": [
                        {"label": viewer.texts._("Answers"), "data": [r.count for r in q.rows]}
                    ],
                }
            )
    return charts


@dataclass(frozen=True)
class PeriodQuery:
    first: date | None
    last: date | None

    @classmethod
    def of(cls, request: Request) -> PeriodQuery:
        p = request.query_params
        return cls(_date(p.get("from")), _date(p.get("to")))

    def resolve(self, service: FeedbackResultsService, viewer: Viewer) -> tuple[Period, str]:
        try:
            return service.period(self.first, self.last), ""
        except InvalidPeriod as error:
            note = (
                viewer.texts._("The first day is after the last; showing this month instead.")
                if error.parameter == "from"
                else viewer.texts._("That period is too long; showing this month instead.")
            )
            return service.period(None, None), note


@router.get("/{code}/results")
async def results(
    code: str, request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    texts = viewer.texts
    require(may_open(viewer), texts)
    service = FeedbackResultsService(session, core)
    period, note = PeriodQuery.of(request).resolve(service, viewer)
    result = await service.point(viewer.actor, code, period)
    view = point_view(result, viewer, core)
    query = urlencode({"from": period.first.isoformat(), "to": period.last.isoformat()})
    return render(
        request,
        "feedback_results.html",
        texts,
        viewer,
        point=view,
        period=period,
        note=note,
        data={"feedback": chart_data([view], viewer)},
        export_query=query,
    )


@router.get("/{code}/results/export")
async def export(
    code: str, request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> StreamingResponse:
    """The point's responses as a file, a column per question, through the one export
    pipeline (same audit event as the API's); headers in the viewer's language."""
    texts = viewer.texts
    require(may_open(viewer), texts)
    period, _note = PeriodQuery.of(request).resolve(FeedbackResultsService(session, core), viewer)
    format_value = request.query_params.get("format", "")
    fmt = ExportFormat(format_value) if format_value in ("csv", "xlsx") else ExportFormat.CSV
    export_request = ExportRequest(
        kind=ExportKind.FEEDBACK, period=period, lang=viewer.language, point=code
    )
    started = await start_feedback(
        ExportService(core), session, viewer.actor, export_request, fmt, texts
    )
    return export_response(started)
