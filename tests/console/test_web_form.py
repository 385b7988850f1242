"""The anonymous web form in Chromium (issue 23 §2): with JavaScript off at 390 px, in
Russian, a person files a fraud report (switching language mid-form loses nothing typed,
and Enter still sends), gets a code and adds a photo on /status; a
caller whose report the hotline logged reads the operator's answer on /status; no
cookie, no sideways scrolling, no serious axe-core violation."""

from __future__ import annotations

from playwright.async_api import FilePayload, Page
from sqlalchemy import func, select

from storage.enums import Channel, Language
from storage.models import Attachment, Case
from tests.console.helpers import PHONE, Console
from tests.console.test_new_case import log_case
from tests.handlers.conversation import receipt_in
from tests.storage.media.samples import jpeg_with_gps

NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"
STORY = "Кладовщик требовал деньги за то, чтобы внести нас в список."
ANSWER = "Ми перевірили список: ваш набір привезуть у четвер."
CONTACT = "+380 67 765 43 21"


def photo() -> FilePayload:
    return FilePayload(name="spisok.jpg", mimeType="image/jpeg", buffer=jpeg_with_gps())


async def no_script_page(console: Console, locale: str = "ru-RU") -> Page:
    """A phone with JavaScript off, as Tor Browser's safest mode."""
    context = await console.host.browser.new_context(
        viewport=PHONE, locale=locale, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    console.contexts.append(context)
    return await context.new_page()


def test_a_fraud_report_with_javascript_off_in_russian_at_phone_width(console: Console) -> None:
    async def scenario() -> None:
        console.core.settings.web_form = True
        page = await no_script_page(console)
        await page.goto(console.url("/report"))
        # The language switch: buttons under the quick exit, no links. With nothing
        # chosen yet (the categories are required) it still switches.
        switch = page.locator("#languages button[value='ru']")
        assert await switch.is_visible() and await page.locator("#languages a").count() == 0
        exit_box = await page.locator("#quick-exit").bounding_box()
        switch_box = await switch.bounding_box()
        form_box = await page.locator("#report-form").bounding_box()
        assert exit_box and switch_box and form_box
        assert exit_box["y"] < switch_box["y"] < form_box["y"], "shown under the quick exit"
        async with page.expect_navigation():
            await switch.click()
        assert await page.get_attribute("html", "lang") == "ru"
        assert await page.title() == "Форма"
        # Step 1: the category, posted (never in the address or the history).
        await page.check("#c-fraud_corruption")
        async with page.expect_navigation():
            await page.click("button:has-text('Далее »')")
        assert page.url == console.url("/report")
        # Step 2: the category's own intro in the bot's words, then the bot's questions.
        intro = await page.inner_text("#intro")
        assert "Вы сообщаете о мошенничестве или коррупции." in intro, intro
        assert "112" in await page.inner_text("#referrals")
        # Mid-form, half filled (programme and oblast, both required, not chosen yet),
        # Ukrainian: the same step with everything typed, the chosen file asked for again.
        await page.fill("#f-narrative", STORY)
        await page.fill("#f-contact", CONTACT)
        await page.set_input_files("#f-files", files=[photo()])
        async with page.expect_navigation():
            await page.click("#languages button[value='uk']")
        assert page.url == console.url("/report") and await page.title() == "Форма"
        assert await page.get_attribute("html", "lang") == "uk"
        assert "Ви повідомляєте про шахрайство або корупцію." in await page.inner_text("#intro")
        assert await page.input_value("#f-narrative") == STORY
        assert await page.input_value("#f-contact") == CONTACT
        assert "оберіть їх ще раз" in await page.inner_text("#files-again")
        assert await page.evaluate(NO_SIDEWAYS), "the switched step scrolls sideways at 390 px"
        # The choices too, back in Russian.
        await page.check("#p-food")
        await page.select_option("#f-oblast", "UA-63")
        async with page.expect_navigation():
            await page.click("#languages button[value='ru']")
        assert await page.get_attribute("html", "lang") == "ru"
        assert await page.is_checked("#p-food")
        assert await page.input_value("#f-oblast") == "UA-63"
        assert await page.input_value("#f-narrative") == STORY
        # Back to the categories and on again: what was typed is still there.
        async with page.expect_navigation():
            await page.click("button:has-text('« Назад')")
        assert await page.is_checked("#c-fraud_corruption")
        async with page.expect_navigation():
            await page.click("button:has-text('Далее »')")
        assert await page.input_value("#f-narrative") == STORY
        assert await page.is_checked("#p-food")
        assert await page.input_value("#f-contact") == CONTACT
        # Enter in the contact field sends the report (the switch buttons follow «Send»
        # in the document, so they are never the form's default button).
        async with page.expect_navigation():
            await page.press("#f-contact", "Enter")
        code = receipt_in(await page.inner_text("#code"))
        assert await page.context.cookies() == []

        await page.goto(console.url("/status?lang=ru"))
        await page.fill("#f-code", code)
        async with page.expect_navigation():
            await page.click("button:has-text('Открыть моё обращение')")
        assert code.replace(" ", "") not in page.url
        assert "новое" in await page.inner_text("#status")
        await page.fill("#f-text", "Вот фото списка.")
        await page.set_input_files(
            "#f-files",
            files=[photo()],
        )
        async with page.expect_navigation():
            await page.click("button:has-text('Добавить к моему обращению')")
        assert "Добавлено" in await page.inner_text("#notice")
        async with console.core.database.transaction() as session:
            (case,) = list(await session.scalars(select(Case)))
            files = await session.scalar(select(func.count()).select_from(Attachment))
        assert case.channel is Channel.WEB and case.sensitive and files == 1
        assert (case.category, case.programme) == ("fraud_corruption", "food")
        assert case.language is Language.RU and case.oblast == "UA-63"
        assert await page.context.cookies() == []

        # The same pages at 390 px with a script only to measure them and run axe-core.
        checker = await console.page(PHONE, axe=True)
        for path in ("/report?lang=ru", "/status?lang=ru"):
            response = await checker.goto(console.url(path))
            assert response is not None and response.status == 200
            assert await checker.evaluate(NO_SIDEWAYS), f"{path} scrolls sideways at 390 px"
            assert await console.axe(checker) == [], path
        # Step 2 of a sexual-exploitation report, with its referral lines.
        await checker.goto(console.url("/report?lang=ru"))
        await checker.check("#c-sexual_exploitation")
        async with checker.expect_navigation():
            await checker.click("button:has-text('Далее »')")
        assert await checker.evaluate(NO_SIDEWAYS), "step 2 scrolls sideways at 390 px"
        assert await console.axe(checker) == [], "step 2"

    console.run(scenario(), timeout=120)


def test_a_caller_reads_the_operators_answer_on_status(console: Console) -> None:
    async def scenario() -> None:
        console.core.settings.web_form = True
        await console.staff("olena", "operator")
        staff = await console.page()
        await console.sign_in(staff, "olena")
        code = await log_case(
            console,
            staff,
            channel="hotline",
            category="assistance_quality",
            narrative="Дзвонила пані Ганна: набір не видали.",
        )
        async with staff.expect_navigation():
            await staff.click("a:has-text('Відкрити справу')")
        await staff.fill("#reply-text", ANSWER)
        await staff.click("button:has-text('Надіслати відповідь')")
        await staff.wait_for_url("**#replies")

        caller = await no_script_page(console, "uk-UA")
        await caller.goto(console.url("/status?lang=uk"))
        await caller.fill("#f-code", code)
        async with caller.expect_navigation():
            await caller.click("button:has-text('Відкрити моє звернення')")
        assert ANSWER in await caller.inner_text("#replies")

    console.run(scenario(), timeout=120)
