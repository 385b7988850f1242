"""The worklist on a seeded data set: tabs and counts, filters, search, paging, and the
sealed channel (an operator never sees a sensitive case, not even in a count)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.enums import Language
from storage.models import AuditEvent, Case
from tests.console.helpers import Console
from tests.storage.helpers import submit


async def seed(console: Console) -> str:
    """31 standard cases an operator sees (29 of them overdue) and one sensitive case."""
    core = console.core
    for i in range(26):
        await submit(core, narrative=f"Видали менше продуктів, ніж у списку ({i}).")
    for _ in range(2):
        await submit(
            core,
            category="staff_conduct",
            language=Language.EN,
            oblast="UA-32",
            narrative="Rude behaviour at the distribution point.",
        )
    await submit(
        core, category="information_request", language=Language.RU, narrative="Где список?"
    )
    sensitive = await submit(core, category="fraud_corruption", narrative="Вимагали хабар.")
    console.clock.advance(timedelta(days=4))  # past every 72 h acknowledgement
    for _ in range(2):
        await submit(core, category="suggestion", narrative="Дякуємо за допомогу взимку.")
    return sensitive.ref


def test_tabs_filters_search_and_paging(console: Console) -> None:
    async def scenario() -> None:
        sensitive_ref = await seed(console)
        await console.staff("olena", "operator")
        page = await console.page()
        await console.sign_in(page, "olena")
        await page.wait_for_url("**/console/cases")

        async def count(tab: str) -> str:
            return await page.inner_text(f".tabs a:has-text('{tab}') .count")

        assert (await count("Відкриті"), await count("Нові"), await count("Закриті")) == (
            "31",
            "31",
            "0",
        )
        assert await page.inner_text(".total") == "31 справа"
        assert await page.locator(".case-row").count() == 25
        assert await page.locator(".badge.sensitive").count() == 0
        assert await page.locator(".case-row.is-overdue").count() == 25  # due first
        assert "прострочено на" in await page.inner_text(".case-row >> nth=0")

        # The next page is appended in place, and there is no page after it.
        await page.click("text=Показати ще справи")
        await page.locator(".case-row").nth(30).wait_for()  # (no wait_for_function: CSP)
        assert await page.locator(".case-row").count() == 31
        assert await page.locator(".more").count() == 0
        assert "залишилось" in await page.inner_text(".case-row >> nth=30")

        # Filters: category, overdue, search; the counts follow the filters.
        await page.click("text=Інші фільтри та сортування")
        await page.select_option("#category", "staff_conduct")
        await page.click("text=Показати")
        assert await page.inner_text(".total") == "2 справи"
        assert await count("Відкриті") == "2"
        await page.click("text=Скинути фільтри")
        await page.check("#overdue")
        await page.click("button:has-text('Показати')")
        assert await page.inner_text(".total") == "29 справ"
        await page.uncheck("#overdue")
        await page.fill("#q", "rude")
        await page.click("button:has-text('Показати')")
        refs = await page.locator(".case-row .excerpt").all_inner_texts()
        assert refs == ["Rude behaviour at the distribution point."] * 2
        await page.fill("#q", "хабар")
        await page.click("button:has-text('Показати')")
        assert await page.inner_text(".total") == "0 справ"

        # The sensitive case does not exist for an operator, not even by its address.
        response = await page.goto(console.url(f"/console/cases/{sensitive_ref}"))
        assert response is not None and response.status == 404
        assert await page.inner_text("h1") == "Такої справи немає."
        missing = await page.goto(console.url("/console/cases/HL-2026-999999"))
        assert missing is not None and missing.status == 404

        # A focal point sees it, marked, and counted; the text stays sealed in the list.
        await console.staff("fpoint", "focal_point")
        focal = await console.page()
        await console.sign_in(focal, "fpoint")
        await focal.wait_for_url("**/console/cases")
        assert await focal.inner_text(".tabs a:has-text('Відкриті') .count") == "32"
        row = focal.locator(".case-row", has=focal.locator(".badge.sensitive"))
        assert await row.count() == 1
        assert "Вимагали хабар" not in await row.inner_text()
        opened = await focal.goto(console.url(f"/console/cases/{sensitive_ref}"))
        assert opened is not None and opened.status == 200
        assert "Вимагали хабар." in await focal.inner_text(".narrative")
        assert "Відкрито чутливу справу" in await focal.inner_text(".timeline")
        # One look, one record of it (the page reads the case and its timeline).
        async with console.core.database.transaction() as session:
            reads = await session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .join(Case, Case.id == AuditEvent.case_id)
                .where(Case.ref == sensitive_ref, AuditEvent.action == "case.read")
            )
        assert reads == 1

    console.run(scenario(), timeout=120)
