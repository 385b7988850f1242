"""A feedback point's survey in Chromium (issue 24), in Ukrainian: an analyst uploads a
malformed XLSForm and one asking for a phone number, and reads what to change row by row;
uploads the good three-question form and sees its questions; writes a fourth question on
the page (refused while it asks for a phone number, saved once it does not); removes the
survey."""

from __future__ import annotations

from datetime import date

from playwright.async_api import FilePayload, Page

from storage.services.feedback_points import FeedbackPointService
from storage.xlsform import XLSX_MEDIA_TYPE
from tests.console.helpers import PHONE, Console
from tests.console.test_layout import NO_SIDEWAYS
from tests.storage.helpers import make_staff
from tests.xlsform_samples import (
    MALFORMED_ROWS,
    PHONE_NUMBER_ROW,
    THREE_QUESTIONS,
    malformed_form,
    phone_number_form,
    three_question_form,
)


async def upload(page: Page, name: str, data: bytes) -> None:
    payload = FilePayload(name=name, mimeType=XLSX_MEDIA_TYPE, buffer=data)
    await page.set_input_files("#f-xlsform", files=[payload])
    async with page.expect_navigation():
        await page.click("#upload-form button[type=submit]")


async def problems(page: Page) -> list[str]:
    return [
        " ".join(text.split())
        for text in await page.locator("#survey-problems li").all_inner_texts()
    ]


def test_an_analyst_uploads_xlsforms_and_writes_a_question(console: Console) -> None:
    async def scenario() -> None:
        core = console.core
        analyst = await make_staff(core, "anna", "analyst")
        async with core.database.transaction() as session:
            point = await FeedbackPointService(session, core).create(
                analyst,
                name="Школа № 4",
                programme="cash",
                oblast="UA-63",
                active_from=date(2026, 3, 1),
            )
        path = f"/console/feedback-points/{point.code}/survey"
        page = await console.page()
        await console.sign_in(page, "anna")
        # From the point's own page, and back.
        await page.goto(console.url(f"/console/feedback-points/{point.code}"))
        async with page.expect_navigation():
            await page.click("#to-survey")
        assert page.url == console.url(path)
        assert await page.get_attribute(".crumbs a", "href") == (
            f"/console/feedback-points/{point.code}"
        )
        assert "Опитування пункту «Школа № 4»" in await page.inner_text("h1")
        assert await page.is_visible("#no-survey")

        # Malformed: one line per offending row, each naming its row and question.
        await upload(page, "bad.xlsx", malformed_form())
        listed = await problems(page)
        assert len(listed) == len(MALFORMED_ROWS)
        for line, (row, _code), name in zip(
            listed, MALFORMED_ROWS, ["stars", "score", "place", "why"], strict=True
        ):
            assert line.startswith(f"Рядок {row} аркуша survey (питання «{name}»):"), line
        assert "«rating» — не тип питання" in listed[0]
        assert "На аркуші choices немає списку «places»" in listed[2]
        assert await page.is_visible("#no-survey")

        # Asking for a phone number: refused, saying why.
        await upload(page, "phone.xlsx", phone_number_form())
        [line] = await problems(page)
        assert line.startswith(f"Рядок {PHONE_NUMBER_ROW} аркуша survey (питання «contact»):")
        assert "просять вказати номер телефону («телефону»)" in line
        assert await page.is_visible("#no-survey")

        # The good one: saved, and shown question by question.
        await upload(page, "good.xlsx", three_question_form())
        assert "saved=upload" in page.url
        assert await page.is_visible("#survey-saved")
        questions = page.locator("#survey-questions > li")
        assert await questions.count() == 3
        second = await questions.nth(1).inner_text()
        assert "received_all" in second and "Так чи ні" in second
        assert "Чи отримали ви все, що було обіцяно?" in second
        third = await questions.nth(2).inner_text()
        assert "Ставиться лише тоді, коли на «received_all» відповіли «no»." in third
        assert "Засоби гігієни" in third and "Средства гигиены" in third
        async with core.database.transaction() as session:
            stored = await FeedbackPointService(session, core).get(point.code)
            assert stored.survey_definition == THREE_QUESTIONS

        # Written on the page: the editor holds the uploaded questions; a fourth one.
        assert await page.input_value("#q0-name") == "satisfaction"
        assert "no = Ні | Нет" in await page.input_value("#q1-choices")
        await page.select_option("#q3-kind", "text")
        await page.fill("#q3-name", "callback")
        await page.fill("#q3-uk", "Залиште номер телефону, якщо хочете, щоб вам передзвонили")
        async with page.expect_navigation():
            await page.click("#editor-form button[type=submit]")
        [line] = await problems(page)
        assert line.startswith("Питання 4:") and "номер телефону" in line
        # What was typed is still there to fix.
        await page.fill("#q3-name", "improve")
        await page.fill("#q3-uk", "Що можна покращити?")
        await page.fill("#q3-ru", "Что можно улучшить?")
        async with page.expect_navigation():
            await page.click("#editor-form button[type=submit]")
        assert "saved=edit" in page.url
        assert await page.locator("#survey-questions > li").count() == 4
        async with core.database.transaction() as session:
            stored = await FeedbackPointService(session, core).get(point.code)
            survey = stored.survey_definition
            assert survey is not None
            assert survey.questions[:3] == THREE_QUESTIONS.questions
            assert survey.question("improve").labels.keys() == {"uk", "ru"}

        async with page.expect_navigation():
            await page.click("button:has-text('Видалити опитування')")
        assert await page.is_visible("#no-survey")
        assert "люди в цьому пункті оцінюють допомогу" in await page.inner_text("#survey-saved")

    console.run(scenario(), timeout=120)


def test_an_operator_cannot_open_a_points_survey(console: Console) -> None:
    async def scenario() -> None:
        core = console.core
        analyst = await make_staff(core, "anna", "analyst")
        await make_staff(core, "olena", "operator")
        async with core.database.transaction() as session:
            point = await FeedbackPointService(session, core).create(
                analyst,
                name="Школа",
                programme="cash",
                oblast="UA-63",
                active_from=date(2026, 3, 1),
            )
        page = await console.page()
        await console.sign_in(page, "olena")
        response = await page.goto(console.url(f"/console/feedback-points/{point.code}/survey"))
        assert response is not None and response.status == 403
        assert await page.locator("#upload-form").count() == 0

    console.run(scenario())


def test_the_survey_page_at_phone_width_and_accessible(console: Console) -> None:
    async def scenario() -> None:
        core = console.core
        analyst = await make_staff(core, "anna", "analyst")
        async with core.database.transaction() as session:
            service = FeedbackPointService(session, core)
            point = await service.create(
                analyst,
                name="Школа",
                programme="cash",
                oblast="UA-63",
                active_from=date(2026, 3, 1),
            )
            await service.set_survey(analyst, point.code, THREE_QUESTIONS)
        page = await console.page(PHONE, axe=True)
        await console.sign_in(page, "anna")
        await page.goto(console.url(f"/console/feedback-points/{point.code}/survey"))
        await upload(page, "bad.xlsx", malformed_form())  # the page with its refusal
        assert len(await problems(page)) == len(MALFORMED_ROWS)
        assert await page.evaluate(NO_SIDEWAYS), "the survey page scrolls sideways at 390 px"
        assert await console.axe(page) == []

    console.run(scenario(), timeout=120)
