""" "New case" in Chromium (issue 23): an operator logs a hotline call in Ukrainian and reads
the code from the page, and the caller follows the case with it in the bot; a sealed
walk-in report, logged by a focal point and by an operator, whom the case then 404s;
the dashboard counts the channels."""

from __future__ import annotations

from playwright.async_api import Page
from sqlalchemy import select

from bot.runtime import BotRuntime
from storage.models import Case
from tests.console.helpers import Console
from tests.handlers.conversation import Talk, receipt_in
from tests.harness import new_token
from tests.storage.helpers import submit
from tgemu import EmulatorClient, EmulatorThread

CALL = "Дзвонила пані Ганна: у списку отримувачів її прізвище, а набір не видали."
ANSWER = "Ми перевірили список: ваш набір привезуть у четвер."
WALK_IN = "Жінка прийшла на пункт видачі й розповіла, що охоронець вимагав від неї послуг."


async def log_case(
    console: Console,
    page: Page,
    *,
    channel: str,
    category: str,
    narrative: str,
    follow_up: str = "code",
) -> str:
    """Fill "New case" from the worklist's button and send it; the code the page shows."""
    await page.goto(console.url("/console/cases"))
    async with page.expect_navigation():
        await page.click("a:has-text('Нова справа')")
    await page.select_option("#f-channel", channel)
    await page.select_option("#f-category", category)
    await page.select_option("#f-programme", "food")
    await page.select_option("#f-oblast", "UA-63")
    await page.select_option("#f-language", "uk")
    await page.fill("#f-narrative", narrative)
    await page.check(f"#f-follow-{follow_up}")
    async with page.expect_navigation():
        await page.click("button:has-text('Зареєструвати справу')")
    assert "Справу зареєстровано" in await page.inner_text("h1")
    if follow_up != "code":
        return ""
    return await page.inner_text("#code")


def test_an_operator_logs_a_hotline_call_and_the_caller_follows_it_in_the_bot(
    console: Console, emulator: EmulatorThread
) -> None:
    async def scenario() -> None:
        client = EmulatorClient(emulator.base_url, quiet=0.08)
        tg = client.bot(new_token())
        runtime = BotRuntime.create(
            console.core,
            token=tg.token,
            api_url=emulator.base_url,
            delivery_interval=3600,
            delivery_backoff=0.05,
        )
        await runtime.start_polling()
        try:
            await console.staff("olena", "operator")
            page = await console.page()
            await console.sign_in(page, "olena")
            # What the operator reads aloud, as it stands on the page.
            code = await log_case(
                console, page, channel="hotline", category="assistance_quality", narrative=CALL
            )
            assert receipt_in(code) == code
            assert "Продиктуйте людині цей код звернення" in await page.inner_text("main")
            async with page.expect_navigation():
                await page.click("a:has-text('Відкрити справу')")
            assert "Дзвінок на гарячу лінію" in await page.inner_text("#intake-channel")
            assert CALL in await page.inner_text("#h-description + p")
            await page.fill("#reply-text", ANSWER)
            await page.click("button:has-text('Надіслати відповідь')")
            await page.wait_for_url("**#replies")

            # Later the caller, who has Telegram after all, types the code into the bot.
            user = await tg.create_user(id=700_223_457, first_name="Тест", language_code="uk")
            caller = Talk(user, "uk")
            await caller.command("status")
            view = (await caller.say(code)).last
            assert ANSWER in view.body
        finally:
            await runtime.stop()
            await client.aclose()

    console.run(scenario(), timeout=120)


def test_a_sealed_walk_in_report_leaves_the_logging_operators_view(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("fpoint", "focal_point")
        await console.staff("olena", "operator")

        # A focal point logs a walk-in report of sexual exploitation: a one-time code,
        # and the case stays theirs to open.
        focal = await console.page()
        await console.sign_in(focal, "fpoint")
        claim = await log_case(
            console,
            focal,
            channel="in_person",
            category="sexual_exploitation",
            narrative=WALK_IN,
        )
        assert receipt_in(claim) == claim
        assert await focal.get_attribute("#code", "data-kind") == "claim"
        async with focal.expect_navigation():
            await focal.click("a:has-text('Відкрити справу')")
        assert "Ще не використано" in await focal.inner_text("#claim")
        assert "Особисто" in await focal.inner_text("#intake-channel")

        # An operator logs one too: the confirmation once, then the case is gone for them.
        operator = await console.page()
        await console.sign_in(operator, "olena")
        other = await log_case(
            console,
            operator,
            channel="in_person",
            category="sexual_exploitation",
            narrative=WALK_IN,
        )
        assert receipt_in(other) == other and other != claim
        text = await operator.inner_text("main")
        assert "Ви більше не зможете її відкрити." in text
        assert await operator.locator("a:has-text('Відкрити справу')").count() == 0
        async with console.core.database.transaction() as session:
            refs = list(await session.scalars(select(Case.ref).order_by(Case.id)))
        assert len(refs) == 2
        missing = await operator.goto(console.url(f"/console/cases/{refs[1]}"))
        assert missing is not None and missing.status == 404
        await operator.goto(console.url("/console/cases"))
        assert refs[1] not in await operator.inner_text("main")

    console.run(scenario(), timeout=120)


def test_the_dashboard_counts_cases_by_channel(console: Console) -> None:
    async def scenario() -> None:
        await submit(console.core)
        await console.staff("fpoint", "focal_point")
        page = await console.page()
        await console.sign_in(page, "fpoint")
        for channel in ("hotline", "hotline", "in_person"):
            await log_case(
                console,
                page,
                channel=channel,
                category="assistance_quality",
                narrative=CALL,
                follow_up="none",
            )
        await page.goto(console.url("/console/indicators?group_by=channel"))
        rows = {
            await row.get_attribute("data-key"): await row.inner_text()
            for row in await page.locator("#table-groups tbody tr").all()
        }
        assert set(rows) == {"telegram", "hotline", "in_person"}
        assert rows["hotline"].split("\t")[:2] == ["Дзвінок на гарячу лінію", "2"]
        assert rows["in_person"].split("\t")[:2] == ["Особисто", "1"]
        assert rows["telegram"].split("\t")[:2] == ["Telegram-бот", "1"]

    console.run(scenario(), timeout=120)
