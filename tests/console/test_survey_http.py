"""A feedback point's survey page over HTTP, on SQLite and PostgreSQL: who may open it, the
sample XLSForm it hands out (which parses), an upload saved and audited, a refusal that
saves nothing, the survey removed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select

from admin_api.console.routes.surveys import EDITOR_ROWS, build_survey, editor_rows
from storage.models import AuditEvent
from storage.services.feedback_points import FeedbackPointService
from storage.surveys import Survey
from storage.xlsform import XLSX_MEDIA_TYPE, parse_xlsform
from tests.console.http_client import Browser, ServedConsole, csrf_of
from tests.storage.helpers import make_staff
from tests.xlsform_samples import THREE_QUESTIONS, phone_number_form, three_question_form


async def a_point(served: ServedConsole) -> str:
    core = served.core
    analyst = await make_staff(core, "anna", "analyst")
    async with core.database.transaction() as session:
        point = await FeedbackPointService(session, core).create(
            analyst, name="School 4", programme="cash", oblast="UA-63", active_from=date(2026, 3, 1)
        )
        return point.code


async def upload(browser: Browser, path: str, data: bytes) -> str:
    page = await browser.get(path)
    response = await browser.http.post(
        path,
        data={"csrf": csrf_of(page.text), "action": "upload"},
        files={"file": ("form.xlsx", data, XLSX_MEDIA_TYPE)},
        headers={"Accept-Language": "en"},
    )
    return f"{response.status_code} {response.headers.get('location', '')}\n{response.text}"


async def test_analysts_keep_a_points_survey_and_operators_cannot(served: ServedConsole) -> None:
    core = served.core
    code = await a_point(served)
    path = f"/console/feedback-points/{code}/survey"
    await make_staff(core, "olena", "operator")
    operator = await served.browser()
    assert (await operator.password("olena")).status_code == 303
    assert (await operator.get(path)).status_code == 403

    analyst = await served.browser()
    assert (await analyst.password("anna")).status_code == 303
    page = await analyst.get(path)
    assert page.status_code == 200 and 'id="no-survey"' in page.text
    sample = await analyst.get(path + "/template.xlsx")
    assert sample.headers["content-type"] == XLSX_MEDIA_TYPE
    assert "attachment" in sample.headers["content-disposition"]
    assert len(parse_xlsform(sample.content).asked) == 5

    refused = await upload(analyst, path, phone_number_form())
    assert refused.startswith("422")
    assert "Row 3 of the survey sheet (question “contact”)" in refused
    assert "a phone number" in refused
    async with core.database.transaction() as session:
        assert (await FeedbackPointService(session, core).get(code)).survey is None

    saved = await upload(analyst, path, three_question_form())
    assert saved.startswith(f"303 {path}?saved=upload")
    page = await analyst.get(path + "?saved=upload")
    assert 'id="survey-saved"' in page.text and "Насколько вы довольны помощью?" in page.text
    async with core.database.transaction() as session:
        point = await FeedbackPointService(session, core).get(code)
        assert point.survey_definition == THREE_QUESTIONS

    removed = await analyst.post(path, {"csrf": csrf_of(page.text), "action": "remove"})
    assert removed.status_code == 303
    async with core.database.transaction() as session:
        assert (await FeedbackPointService(session, core).get(code)).survey is None
        actions = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target == f"feedback_point:{code}")
            .order_by(AuditEvent.id)
        )
        assert list(actions) == [
            "feedback_point.created",
            "feedback_point.survey_set",
            "feedback_point.survey_set",
        ]


async def test_an_unknown_point_is_not_found(served: ServedConsole) -> None:
    await a_point(served)
    analyst = await served.browser()
    assert (await analyst.password("anna")).status_code == 303
    assert (await analyst.get("/console/feedback-points/ZZZZZZ/survey")).status_code == 404


def test_the_editor_writes_back_the_survey_it_shows() -> None:
    """What the editor's rows hold for a survey (a scale of 1–3 among them) builds the
    same survey again: saving the page untouched changes nothing."""
    narrow = replace(THREE_QUESTIONS.questions[0], minimum=1, maximum=3)
    survey = Survey((narrow, *THREE_QUESTIONS.questions[1:]))
    rows = editor_rows(survey)
    assert len(rows) == EDITOR_ROWS and all(row.empty for row in rows[3:])
    built = build_survey(rows)
    assert built.problems == [] and built.rows == [1, 2, 3]
    assert built.survey == survey
