"""The case page: a stale save changes nothing and says what changed; a reply typed in
the console reaches the reporter's chat, in the reporter's language."""

from __future__ import annotations

import re

from bot.runtime import BotRuntime
from tests.console.helpers import Console
from tests.handlers.conversation import Talk, stored_cases, tr
from tests.harness import new_token
from tests.storage.helpers import submit
from tgemu import EmulatorClient, EmulatorThread

ANSWER_RU = "Мы проверили список: недостающее привезут в пятницу."


def test_a_stale_save_changes_nothing_and_shows_the_changes(console: Console) -> None:
    async def scenario() -> None:
        ref = (await submit(console.core)).ref
        await console.staff("olena", "operator")
        await console.staff("taras", "operator")
        mine, theirs = await console.page(), await console.page()
        await console.sign_in(mine, "olena")
        await console.sign_in(theirs, "taras")
        await mine.goto(console.url(f"/console/cases/{ref}"))
        await theirs.goto(console.url(f"/console/cases/{ref}"))

        # Taras acknowledges it while Olena is still reading.
        await theirs.click(".transitions button:has-text('Прийняти')")
        await theirs.wait_for_selector("h2#h-state:has-text('Прийнято')")

        await mine.select_option("#f-priority", "urgent")
        await mine.click("#h-details + form button[type=submit]")
        banner = await mine.inner_text(".stale")
        assert "Справа змінилася, поки ви її читали" in banner
        assert "taras" in banner and "Статус: Нова → Прийнято" in banner
        assert "Пріоритет: Терміновий" in banner  # what was not saved
        # Nothing of hers was written; the page shows the case as it is now.
        assert await mine.input_value("#f-priority") == "normal"
        assert "Прийнято" in await mine.inner_text("h2#h-state")

        # Saved again on the fresh page, it goes through.
        await mine.select_option("#f-priority", "urgent")
        await mine.click("#h-details + form button[type=submit]")
        await mine.wait_for_url(re.compile(rf"/console/cases/{ref}\?saved=triage$"))
        assert await mine.inner_text("#saved") == "Збережено."
        assert await mine.input_value("#f-priority") == "urgent"
        assert await mine.locator(".stale").count() == 0

    console.run(scenario())


def test_a_reply_reaches_the_reporter_in_their_language(
    console: Console, emulator: EmulatorThread
) -> None:
    async def scenario() -> None:
        client = EmulatorClient(emulator.base_url, quiet=0.08)
        tg = client.bot(new_token())
        runtime = BotRuntime.create(
            console.core,
            token=tg.token,
            api_url=emulator.base_url,
            # The worker sends only when the test flushes it below: on a loaded machine a
            # short poll could send the reply before the page that shows it queued loads.
            delivery_interval=3600,
            delivery_backoff=0.05,
            gather_window=0.0,
        )
        await runtime.start_polling()
        try:
            user = await tg.create_user(id=700_123_457, first_name="Тест", language_code="ru")
            talk = Talk(user, "ru")
            await talk.file_report(
                parts=["Нам выдали половину набора."], contact="💬 Reply in this chat"
            )
            (case,) = await stored_cases(console.core)

            await console.staff("olena", "operator")
            page = await console.page()
            await console.sign_in(page, "olena")
            await page.goto(console.url(f"/console/cases/{case.ref}"))
            assert "Російська" in await page.inner_text("label[for=reply-text]")
            await page.fill("#reply-text", ANSWER_RU)
            await page.click("button:has-text('Попередній перегляд')")
            preview = await page.locator("#reply-preview .bubble").inner_text()
            header = tr("ru", "💬 <b>An answer to your report of {date}:</b>").split("{date}")[0]
            assert header.replace("<b>", "") in preview
            # Which report it answers: its date, and its topic (a standard report).
            assert "Тема: " + tr("ru", "Quality or quantity of assistance") in preview
            assert ANSWER_RU in preview
            await page.click("button:has-text('Надіслати відповідь')")
            await page.wait_for_url(re.compile(rf"/console/cases/{case.ref}\?saved=reply#replies$"))
            assert "У черзі на надсилання в чат" in await page.inner_text("#replies")

            await runtime.worker.flush()
            await user.wait_for(lambda m: ANSWER_RU in m.body)
            await page.reload()
            assert "Надіслано в чат" in await page.inner_text("#replies")
        finally:
            await runtime.stop()
            await client.aclose()

    console.run(scenario(), timeout=120)
