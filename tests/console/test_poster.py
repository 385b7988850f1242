"""A feedback point's poster and its public page in Chromium (issue 24).

The poster prints as one sheet of the size asked for, and its QR code, read back by
zxing-cpp from a screenshot and from the printed PDF, is exactly the point's web link;
that link's page leads to the bot's deep link. People answer the survey with JavaScript
off on a 390 px phone, in Ukrainian and in Russian; a closed point's page explains and
offers what still works. No cookie, no sideways scrolling, no serious axe violation.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pypdfium2
import zxingcpp
from PIL import Image
from playwright.async_api import Page
from sqlalchemy import select

from admin_api.web.feedback_links import local_today
from storage.core import Core
from storage.enums import Channel, Language
from storage.models import FeedbackPoint, SurveyResponse
from storage.services.feedback_points import FeedbackPointService
from storage.surveys import Survey
from tests.admin_api.test_feedback_page import SURVEY
from tests.console.helpers import PHONE, Console
from tests.console.test_web_form import NO_SIDEWAYS, no_script_page
from tests.storage.helpers import make_staff

BOT = "holos_help_bot"
# A4 and A5 in PostScript points (1/72 inch).
PAPER = {"A4": (595.3, 841.9), "A5": (419.5, 595.3)}
# Millimetres between the sheet's last line and the paper's bottom edge.
ROOM_BELOW = """(() => {
  const sheet = document.querySelector('#poster');
  const last = sheet.lastElementChild.getBoundingClientRect();
  return (sheet.getBoundingClientRect().bottom - last.bottom) * 25.4 / 96;
})()"""


async def new_point(
    core: Core, *, survey: Survey | None = SURVEY, closed_days_ago: int | None = None
) -> FeedbackPoint:
    analyst = await make_staff(core, "point-keeper", "analyst")
    async with core.database.transaction() as session:
        service = FeedbackPointService(session, core)
        today = local_today(core)
        point = await service.create(
            analyst,
            name="Харків, Салтівка: продуктові набори",
            programme="food",
            oblast="UA-63",
            active_from=today - timedelta(days=40),
            active_until=today - timedelta(days=closed_days_ago) if closed_days_ago else None,
        )
        if survey is not None:
            point.survey = survey.to_json()
        return point


def decoded(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image)]


async def printed(page: Page, size: str) -> Image.Image:
    """The page as Chromium prints it: one sheet of ``size``, rendered at 150 dpi."""
    document = pypdfium2.PdfDocument(await page.pdf(prefer_css_page_size=True))
    assert len(document) == 1, f"the poster prints on {len(document)} sheets"
    width, height = document[0].get_size()
    expected = PAPER[size]
    assert abs(width - expected[0]) < 2 and abs(height - expected[1]) < 2, (width, height)
    image: Image.Image = document[0].render(scale=150 / 72).to_pil()
    return image


def test_the_posters_code_reads_back_as_the_web_link_which_leads_to_the_bot(
    console: Console,
) -> None:
    async def scenario() -> None:
        settings = console.core.settings
        settings.public_url = console.base_url
        settings.bot_username = BOT
        settings.hotline_phone = "0 800 500 123"
        point = await new_point(console.core)
        web_link = f"{console.base_url}/r/{point.code}"
        deep_link = f"https://t.me/{BOT}?start=fp_{point.code}"
        await console.staff("oksana", "operator")
        page = await console.page()
        await console.sign_in(page, "oksana")

        for lang, size, heading in (
            ("uk", "A4", "Розкажіть нам про отриману допомогу"),
            ("all", "A5", "Расскажите нам о полученной помощи"),
        ):
            address = f"/console/feedback-points/{point.code}/poster?lang={lang}&size={size}"
            response = await page.goto(console.url(address))
            assert response is not None and response.status == 200
            await page.emulate_media(media="print")
            sheet = page.locator("#poster")
            text = await sheet.inner_text()
            assert heading in text and "0 800 500 123" in text
            # Both links in words, for people who cannot scan.
            assert web_link.removeprefix("http://") in text
            assert deep_link.removeprefix("https://") in text
            # Nothing pushed into the margin, where a printer may not reach.
            room = await page.evaluate(ROOM_BELOW)
            assert room >= 7, f"the poster's foot is {room:.1f} mm from the paper's edge"
            shot = Image.open(io.BytesIO(await sheet.screenshot()))
            assert decoded(shot) == [web_link]
            assert decoded(await printed(page, size)) == [web_link]
            await page.emulate_media(media="screen")
        assert "Tell us about the assistance you received" in text  # "all": en too

        person = await no_script_page(console, "uk-UA")
        await person.goto(web_link)
        assert await person.get_attribute("#open-telegram", "href") == deep_link
        assert await person.context.cookies() == []

    console.run(scenario(), timeout=180)


async def answer(console: Console, code: str, locale: str) -> Page:
    """A person on a phone with JavaScript off answers the three questions."""
    page = await no_script_page(console, locale)
    await page.goto(console.url(f"/r/{code}"))
    assert await page.title() == "Форма"
    await page.click("label[for=f-overall-2]")
    await page.check("input[name=q_received_all][value=no]")
    await page.check("input[name=q_missing][value=food]")
    await page.fill("#f-comment", "Черга надворі, під дощем.")
    async with page.expect_navigation():
        await page.click("#survey-form button[type=submit]")
    return page


def test_people_answer_with_javascript_off_at_phone_width_in_uk_and_ru(
    console: Console,
) -> None:
    async def scenario() -> None:
        console.core.settings.web_form = True
        console.core.settings.bot_username = BOT
        point = await new_point(console.core)

        # Nothing required is skipped without being told, and nothing chosen is lost.
        page = await no_script_page(console, "ru-RU")
        await page.goto(console.url(f"/r/{point.code}"))
        await page.check("input[name=q_received_all][value=yes]")
        await page.fill("#f-comment", "Всё хорошо.")
        async with page.expect_navigation():
            await page.click("#survey-form button[type=submit]")
        assert "Пожалуйста, ответьте на этот вопрос." in await page.inner_text("#form-errors")
        assert await page.is_checked("input[name=q_received_all][value=yes]")
        assert await page.input_value("#f-comment") == "Всё хорошо."

        for locale, thanks in (("uk-UA", "Дякуємо!"), ("ru-RU", "Спасибо!")):
            done = await answer(console, point.code, locale)
            assert thanks in await done.inner_text("#done")
            assert await done.get_attribute("#complain", "href") == f"/report?lang={locale[:2]}"
            assert await done.context.cookies() == []
        async with console.core.database.transaction() as session:
            stored = list(await session.scalars(select(SurveyResponse)))
        assert sorted(r.language for r in stored) == [Language.RU, Language.UK]
        assert {r.channel for r in stored} == {Channel.WEB}
        for response in stored:
            assert {a.question: a.value or a.text for a in response.answers} == {
                "overall": "2",
                "received_all": "no",
                "missing": "food",
                "comment": "Черга надворі, під дощем.",
            }

        checker = await console.page(PHONE, axe=True)
        for lang in ("uk", "ru"):
            await checker.goto(console.url(f"/r/{point.code}?lang={lang}"))
            assert await checker.evaluate(NO_SIDEWAYS), "the page scrolls sideways at 390 px"
            assert await console.axe(checker) == []

    console.run(scenario(), timeout=180)


def test_a_closed_points_page_explains_and_offers_the_bot_and_the_web_form(
    console: Console,
) -> None:
    async def scenario() -> None:
        console.core.settings.web_form = True
        console.core.settings.bot_username = BOT
        point = await new_point(console.core, closed_days_ago=3)
        page = await no_script_page(console, "uk-UA")
        response = await page.goto(console.url(f"/r/{point.code}"))
        assert response is not None and response.status == 200
        assert "Прийом відповідей для цього місця завершено" in await page.inner_text("#reason")
        assert await page.get_attribute("#bot", "href") == f"https://t.me/{BOT}"
        assert await page.get_attribute("#complain", "href") == "/report?lang=uk"
        assert await page.locator("form").count() == 0

        checker = await console.page(PHONE, axe=True)
        await checker.goto(console.url(f"/r/{point.code}?lang=ru"))
        assert await checker.evaluate(NO_SIDEWAYS)
        assert await console.axe(checker) == []

    console.run(scenario(), timeout=120)
