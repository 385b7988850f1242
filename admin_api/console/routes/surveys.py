"""A feedback point's survey (issue 24): uploaded as an XLSForm or written on the page,
refused row by row in the viewer's language, saved through
:meth:`~storage.services.feedback_points.FeedbackPointService.set_survey`.

One page, one form address: ``action`` says what the form does (``upload`` an XLSForm,
``edit`` the questions written on the page, ``remove`` the survey). The file stays in
memory (:mod:`admin_api.web.uploads`), capped at the parser's own limit; parsing happens
before the write transaction opens.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData
from starlette.routing import Match

from admin_api.console.web import (
    PREFIX,
    ConsoleProblem,
    ConsoleRoute,
    ReadViewerDep,
    Viewer,
    go,
    render,
    require,
)
from admin_api.web.downloads import DOWNLOAD_HEADERS
from admin_api.web.i18n import Texts
from admin_api.web.sessions import CoreDep, ReadSessionDep, unit_of_work
from admin_api.web.uploads import BadForm, files_of, memory_form, text_of
from storage.enums import Language
from storage.i18n import _
from storage.models import FeedbackPoint
from storage.services.feedback_points import FeedbackPointService
from storage.surveys import (
    MAX_CHOICES,
    MAX_QUESTIONS,
    SCALE_MAX,
    SCALE_MIN,
    YES_NO_NAMES,
    Choice,
    Question,
    QuestionKind,
    Relevance,
    Survey,
    SurveyRefused,
    check_survey,
    with_demographics,
)
from storage.xlsform import (
    CHOICES,
    MAX_FILE_BYTES,
    SURVEY,
    XLSX_MEDIA_TYPE,
    XLSFormRefused,
    parse_xlsform,
    template_xlsform,
)

log = logging.getLogger("holos.console.surveys")

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

PAGE = "/feedback-points/{code}/survey"
CodePath = Annotated[str, Path(min_length=1, max_length=16)]
EDITOR_ROWS = MAX_QUESTIONS


# What a problem says, by its code (storage.surveys, storage.xlsform and the editor's).
# Examples of syntax go in as parameters, so no translation has to keep braces.
PROBLEM = {
    "not_xlsx": _(
        "This is not an XLSForm Holos can read. Save the form as an Excel workbook (.xlsx) "
        "from Excel, LibreOffice or KoboToolbox and upload that."
    ),
    "file_too_large": _("The file is too large: an XLSForm for Holos is at most {max_mb} MB."),
    "no_file": _("Choose an XLSForm file (.xlsx) first."),
    "no_survey_sheet": _("The workbook has no sheet called “survey”."),
    "too_many_rows": _("The sheet has too many rows: at most {max}."),
    "missing_column": _("The column “{column}” is missing."),
    "missing_type": _("The row has no type."),
    "missing_name": _("The question has no name."),
    "unknown_type": _("“{type}” is not a question type. Use select_one, integer, text or note."),
    "unsupported_type": _(
        "Holos cannot run “{type}”. A survey has 1–5 scales (integer), single choices "
        "(select_one, yes or no among them), short text and notes, with no groups, "
        "repeats or calculations."
    ),
    "unknown_list": _("The choices sheet has no list called “{list}”."),
    "missing_constraint": _(
        "A 1–5 scale needs its range in the constraint column, such as {example}."
    ),
    "bad_constraint": _(
        "Holos cannot read the constraint “{constraint}”. A scale's constraint looks like "
        "{example}; other questions have none."
    ),
    "bad_range": _("A range needs start, end and step 1, such as {example}."),
    "unsupported_column": _("Holos cannot do what the “{column}” column asks: leave it empty."),
    "bad_required": _("“required” is yes or no, not “{value}”."),
    "bad_relevant": _(
        "Holos can only ask a question depending on one earlier answer, written as {example}, "
        "not “{relevant}”."
    ),
    "label_reference": _("A label cannot show an earlier answer (a reference like {example})."),
    "choice_missing_name": _("The choice needs both a list_name and a name."),
    "bad_choice_line": _("Write each choice on its own line as {example}, not “{line}”."),
    "no_questions": _("The survey has no question to answer."),
    "bad_name": _(
        "The name “{name}” will not do: use up to {max} small Latin letters, digits and _, "
        "starting with a letter."
    ),
    "duplicate_name": _("Another question is already called “{name}”."),
    "no_label": _("The question has no text in Ukrainian, Russian or English."),
    "label_too_long": _("The question's text is too long: at most {max} characters."),
    "choices_not_allowed": _("Only a choice question has choices."),
    "no_choices": _("A choice question needs its choices."),
    "too_many_choices": _("There are too many choices for one screen: at most {max}."),
    "bad_choice_name": _(
        "The choice code “{choice}” will not do: use Latin letters, digits, _, - or ., up to {max}."
    ),
    "duplicate_choice": _("The choice “{choice}” is in the list twice."),
    "choice_no_label": _("The choice “{choice}” has no text."),
    "choice_label_too_long": _("The text of the choice “{choice}” is too long: at most {max}."),
    "yes_no_choices": _("A yes-or-no question has exactly two choices: yes and no."),
    "bad_scale": _("A scale runs within {low}–{high}; this one is {minimum}–{maximum}."),
    "bounds_not_allowed": _("Only a scale has a range."),
    "relevant_unknown": _("It depends on “{question}”, and there is no such question."),
    "relevant_later": _(
        "It depends on “{question}”, which is not asked before it. A question can only "
        "depend on an earlier one."
    ),
    "relevant_not_choice": _(
        "It depends on “{question}”, which is not a choice or a yes-or-no question."
    ),
    "relevant_unknown_choice": _(
        "It depends on “{question}” being “{value}”, which is not one of its choices."
    ),
    "asks_identity": _(
        "It asks for {what} (“{word}”). Surveys are anonymous: they never ask for a name, "
        "a phone number, an address or exact location, an e-mail, a document number or a "
        "date of birth."
    ),
    "demographic_not_choice": _(
        "It asks about {what} as free text. Sex, age group and disability are asked only as "
        "a choice (select_one), so that small groups can be hidden in the figures."
    ),
}
IDENTITY = {
    "name": _("a name"),
    "phone": _("a phone number"),
    "address": _("an address"),
    "location": _("an exact location"),
    "email": _("an e-mail address"),
    "document": _("a document number"),
    "birth": _("a date of birth"),
}
DEMOGRAPHIC = {
    "sex": _("sex"),
    "age_group": _("age"),
    "disability": _("disability"),
}
KIND = {
    QuestionKind.SCALE.value: _("1–5 scale"),
    QuestionKind.CHOICE.value: _("Single choice"),
    QuestionKind.YES_NO.value: _("Yes or no"),
    QuestionKind.TEXT.value: _("Short text"),
    QuestionKind.NOTE.value: _("Note (nothing to answer)"),
}
EXAMPLES = {
    "missing_constraint": ". >= 1 and . <= 5",
    "bad_constraint": ". >= 1 and . <= 5",
    "bad_range": "start=1 end=5",
    "bad_relevant": "${question} = 'value'",
    "label_reference": "${question}",
    "bad_choice_line": "code = текст | текст | text",
}
# The yes and no a written yes-or-no question shows (the survey's own words, not the page's).
YES_NO_LABELS = {
    "yes": {Language.UK: "Так", Language.RU: "Да", Language.EN: "Yes"},
    "no": {Language.UK: "Ні", Language.RU: "Нет", Language.EN: "No"},
}


@dataclass(frozen=True)
class Shown:
    """One problem as the page lists it."""

    where: str
    message: str


def problem_message(code: str, params: dict[str, str | int], texts: Texts) -> str:
    values: dict[str, str | int] = {**params}
    if code in EXAMPLES:
        values["example"] = EXAMPLES[code]
    if code == "asks_identity":
        values["what"] = texts.gettext(IDENTITY.get(str(params.get("what")), IDENTITY["name"]))
    if code == "demographic_not_choice":
        key = str(params.get("demographic"))
        values["what"] = texts.gettext(DEMOGRAPHIC.get(key, DEMOGRAPHIC["sex"]))
    if code == "too_many_questions":
        count = int(params.get("count", 0))
        return texts.ngettext(
            "The survey asks {count} question; at most {max}.",
            "The survey asks {count} questions; at most {max}.",
            count,
        ).format(count=count, max=params.get("max", MAX_QUESTIONS))
    template = PROBLEM.get(code)
    if template is None:
        return texts._("Something in the form is not valid.")
    try:
        return texts.gettext(template).format(**values)
    except (KeyError, IndexError, ValueError):
        return texts.gettext(template)


def xlsform_where(sheet: str | None, row: int | None, question: str | None, t: Texts) -> str:
    if sheet is None:
        return t._("The file")
    if row is None:
        place = t._("The survey") if sheet == SURVEY else t._("Sheet “{sheet}”").format(sheet=sheet)
    elif sheet == SURVEY:
        place = t._("Row {row} of the survey sheet").format(row=row)
    elif sheet == CHOICES:
        place = t._("Row {row} of the choices sheet").format(row=row)
    else:
        place = t._("Row {row} of the sheet “{sheet}”").format(row=row, sheet=sheet)
    if question and sheet == SURVEY:
        place += " " + t._("(question “{name}”)").format(name=question)
    return place


def shown_refusal(refused: XLSFormRefused, t: Texts) -> list[Shown]:
    return [
        Shown(xlsform_where(p.sheet, p.row, p.question, t), problem_message(p.code, p.params, t))
        for p in refused.problems
    ]


# The editor ------------------------------------------------------------------------------


@dataclass
class EditorRow:
    """One question as the editor's fields hold it (drawn again as typed when refused)."""

    kind: str = ""
    name: str = ""
    uk: str = ""
    ru: str = ""
    en: str = ""
    choices: str = ""
    required: bool = False
    relevant: str = ""
    # A scale's range, kept as uploaded (the editor writes 1–5 scales).
    minimum: str = ""
    maximum: str = ""

    @property
    def empty(self) -> bool:
        return not any((self.kind, self.name, self.uk, self.ru, self.en, self.choices))

    @classmethod
    def of(cls, question: Question) -> EditorRow:
        lines = []
        for choice in question.choices:
            labels = [choice.labels.get(lang, "") for lang in Language]
            while labels and not labels[-1]:
                labels.pop()
            lines.append(f"{choice.name} = {' | '.join(labels)}")
        relevant = question.relevant
        return cls(
            kind=question.kind.value,
            name=question.name,
            uk=question.labels.get(Language.UK, ""),
            ru=question.labels.get(Language.RU, ""),
            en=question.labels.get(Language.EN, ""),
            choices="\n".join(lines),
            required=question.required,
            relevant=f"{relevant.question} = {relevant.value}" if relevant else "",
            minimum=str(question.minimum) if question.minimum is not None else "",
            maximum=str(question.maximum) if question.maximum is not None else "",
        )


def editor_rows(survey: Survey | None) -> list[EditorRow]:
    rows = [EditorRow.of(q) for q in (survey.questions if survey else ())][:EDITOR_ROWS]
    return rows + [EditorRow() for _ in range(EDITOR_ROWS - len(rows))]


def rows_of_form(form: FormData) -> list[EditorRow]:
    return [
        EditorRow(
            kind=text_of(form, f"q{i}_kind"),
            name=text_of(form, f"q{i}_name").strip(),
            uk=text_of(form, f"q{i}_uk").strip(),
            ru=text_of(form, f"q{i}_ru").strip(),
            en=text_of(form, f"q{i}_en").strip(),
            choices=text_of(form, f"q{i}_choices"),
            required=text_of(form, f"q{i}_required") == "1",
            relevant=text_of(form, f"q{i}_relevant").strip(),
            minimum=text_of(form, f"q{i}_min").strip(),
            maximum=text_of(form, f"q{i}_max").strip(),
        )
        for i in range(EDITOR_ROWS)
    ]


_EDITOR_RELEVANT = re.compile(r"""^\$?\{?\s*([^\s=}]+)\s*\}?\s*=\s*(['"]?)(.*?)\2$""")


@dataclass
class Built:
    survey: Survey
    rows: list[int] = field(default_factory=list)  # Survey.questions[i] is editor row rows[i]
    problems: list[tuple[int, str, dict[str, str | int]]] = field(default_factory=list)


def build_survey(rows: list[EditorRow]) -> Built:
    """The survey the editor's rows write, and what in them is no survey at all."""
    built = Built(Survey())
    questions: list[Question] = []
    for number, row in enumerate(rows, start=1):
        if row.empty:
            continue
        try:
            kind = QuestionKind(row.kind)
        except ValueError:
            built.problems.append((number, "missing_type", {}))
            continue
        choices: list[Choice] = []
        for line in row.choices.splitlines():
            if not line.strip():
                continue
            code, equals, written = line.partition("=")
            if not equals or not code.strip():
                built.problems.append((number, "bad_choice_line", {"line": line.strip()[:80]}))
                continue
            parts = [part.strip() for part in written.split("|")][: len(Language)]
            choices.append(
                Choice(
                    code.strip(),
                    {lang: text for lang, text in zip(Language, parts, strict=False) if text},
                )
            )
        if kind is QuestionKind.YES_NO:
            choices = choices or [Choice(n, dict(YES_NO_LABELS[n])) for n in YES_NO_NAMES]
        relevant = None
        if row.relevant:
            match = _EDITOR_RELEVANT.match(row.relevant)
            if match is None:
                built.problems.append((number, "bad_relevant", {"relevant": row.relevant[:80]}))
                continue
            relevant = Relevance(match.group(1), match.group(3).strip())
        labels = {
            lang: text
            for lang, text in zip(Language, (row.uk, row.ru, row.en), strict=True)
            if text
        }
        scale = kind is QuestionKind.SCALE
        questions.append(
            Question(
                name=row.name,
                kind=kind,
                labels=labels,
                required=row.required and kind is not QuestionKind.NOTE,
                choices=tuple(choices),
                minimum=_bound(row.minimum, SCALE_MIN) if scale else None,
                maximum=_bound(row.maximum, SCALE_MAX) if scale else None,
                relevant=relevant,
            )
        )
        built.rows.append(number)
    built.survey = with_demographics(Survey(tuple(questions)))
    return built


def _bound(text: str, default: int) -> int:
    return int(text) if text.isdigit() and len(text) < 3 else default


# The page --------------------------------------------------------------------------------


def may_keep(viewer: Viewer) -> bool:
    return viewer.actor.can_manage_feedback_points


def back_link(request: Request, code: str) -> str | None:
    """The point's own page, else the list of points, where the console has them."""
    for candidate in (f"{PREFIX}/feedback-points/{code}", f"{PREFIX}/feedback-points"):
        scope = {"type": "http", "path": candidate, "method": "GET", "root_path": ""}
        for route in request.app.router.routes:
            if route.matches(scope)[0] is Match.FULL and not candidate.endswith("/survey"):
                return candidate
    return None


def survey_page(
    request: Request,
    viewer: Viewer,
    point: FeedbackPoint,
    *,
    status_code: int = 200,
    problems: list[Shown] | None = None,
    problems_from: str = "",
    rows: list[EditorRow] | None = None,
) -> HTMLResponse:
    survey = point.survey_definition
    response = render(
        request,
        "survey.html",
        viewer.texts,
        viewer,
        status_code=status_code,
        point=point,
        survey=survey,
        problems=problems or [],
        problems_from=problems_from,
        rows=rows if rows is not None else editor_rows(survey),
        kinds=list(KIND),
        kind_label=lambda kind: viewer.texts.gettext(KIND[kind]),
        demographic_label=lambda code: viewer.texts.gettext(DEMOGRAPHIC[code]),
        languages=list(Language),
        saved=request.query_params.get("saved"),
        back=back_link(request, point.code),
        max_mb=MAX_FILE_BYTES // (1024 * 1024),
        max_questions=MAX_QUESTIONS,
        max_choices=MAX_CHOICES,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def read_form(request: Request) -> FormData | None:
    """The posted form, the file in memory (read before the viewer's CSRF check, which
    then reads the same fields)."""
    if request.method != "POST":
        return None
    try:
        return await memory_form(
            request, file_cap=MAX_FILE_BYTES, max_files=1, max_fields=12 * EDITOR_ROWS
        )
    except BadForm:
        raise ConsoleProblem(400, "") from None


PostedForm = Annotated[FormData | None, Depends(read_form)]


@router.get(PAGE, response_class=HTMLResponse)
async def survey(
    request: Request, code: CodePath, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    require(may_keep(viewer), viewer.texts)
    point = await FeedbackPointService(session, core).get(code)
    return survey_page(request, viewer, point)


@router.get(PAGE + "/template.xlsx")
async def template(viewer: ReadViewerDep) -> Response:
    """An XLSForm to start from (storage.xlsform.template_xlsform)."""
    require(may_keep(viewer), viewer.texts)
    return Response(
        template_xlsform(),
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": 'attachment; filename="holos-survey.xlsx"',
            **DOWNLOAD_HEADERS,
        },
    )


@router.post(PAGE, response_class=HTMLResponse)
async def change_survey(
    request: Request,
    code: CodePath,
    form: PostedForm,
    viewer: ReadViewerDep,
    session: ReadSessionDep,
    core: CoreDep,
) -> Response:
    require(may_keep(viewer), viewer.texts)
    assert form is not None  # a POST always has one (read_form)
    point = await FeedbackPointService(session, core).get(code)
    t = viewer.texts
    action = text_of(form, "action")
    survey: Survey | None
    if action == "remove":
        survey = None
    elif action == "upload":
        files = await files_of(form, "file")
        if not files:
            problems = [Shown(t._("The file"), problem_message("no_file", {}, t))]
            return survey_page(
                request, viewer, point, status_code=422, problems=problems, problems_from="upload"
            )
        if files[0].too_large:
            message = problem_message("file_too_large", {"max_mb": MAX_FILE_BYTES >> 20}, t)
            return survey_page(
                request,
                viewer,
                point,
                status_code=422,
                problems=[Shown(t._("The file"), message)],
                problems_from="upload",
            )
        try:
            # Up to a second or so for the worst file the limits let in: off the loop.
            survey = await asyncio.to_thread(parse_xlsform, files[0].data)
        except XLSFormRefused as refused:
            log.info("survey_xlsform_refused")
            return survey_page(
                request,
                viewer,
                point,
                status_code=422,
                problems=shown_refusal(refused, t),
                problems_from="upload",
            )
    elif action == "edit":
        rows = rows_of_form(form)
        built = build_survey(rows)
        found: list[tuple[int, str, dict[str, str | int]]] = list(built.problems)
        if not built.problems:
            try:
                check_survey(built.survey)
            except SurveyRefused as refused:
                for problem in refused.problems:
                    at = problem.index
                    found.append(
                        (built.rows[at] if at is not None else 0, problem.code, problem.params)
                    )
        if found:
            shown = [
                Shown(
                    t._("Question {number}").format(number=n) if n else t._("The survey"),
                    problem_message(c, p, t),
                )
                for n, c, p in sorted(found, key=lambda item: item[0])
            ]
            return survey_page(
                request,
                viewer,
                point,
                status_code=422,
                problems=shown,
                problems_from="editor",
                rows=rows,
            )
        survey = built.survey
    else:
        raise ConsoleProblem(400, t._("This address does not take that request."))
    await save(request, core, viewer, point.code, survey)
    return go(request, f"{PREFIX}/feedback-points/{point.code}/survey?saved={action}")


async def save(
    request: Request, core: CoreDep, viewer: Viewer, code: str, survey: Survey | None
) -> None:
    async with unit_of_work(request, core) as session:
        await FeedbackPointService(session, core).set_survey(viewer.actor, code, survey)
    log.info("survey_saved" if survey is not None else "survey_removed")
