"""The issue's "done when", as a newcomer would do it: an operator finds today's overdue
case, answers in Ukrainian and closes it; a focal point does the same for a sensitive
case that the operator cannot see exists."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Page

from storage.models import Case
from tests.console.helpers import Console
from tests.storage.helpers import submit

ANSWER = "Дякуємо, що написали. Недостачу довеземо в п'ятницю."
CLOSING = ("Прийняти", "Почати роботу", "Позначити як вирішену")


async def answer_and_close(page: Page, ref: str) -> None:
    """From the worklist: open the overdue case, reply, and walk it to closed."""
    await page.check("#overdue")
    await page.click("button:has-text('Показати')")
    row = page.locator(".case-row.is-overdue", has=page.locator(f"a.ref:has-text('{ref}')"))
    assert await row.count() == 1
    async with page.expect_navigation():
        await row.locator("a.ref").click()
    await page.fill("#reply-text", ANSWER)
    await page.click("button:has-text('Надіслати відповідь')")
    # Back on the case, still following the list it came from, and saying "Saved".
    await page.wait_for_url(re.compile(rf"/console/cases/{ref}\?.*saved=reply#replies$"))
    assert await page.inner_text("#saved") == "Збережено."
    assert ANSWER in await page.inner_text("#replies")
    for step in CLOSING:
        async with page.expect_navigation():
            await page.click(f".transitions button:has-text('{step}')")
    # Closing records what became of the case (a sensitive one cannot close without).
    await page.select_option("#f-outcome", "resolved")
    async with page.expect_navigation():
        await page.click(".close-form button:has-text('Закрити')")
    assert "Закрито" in await page.inner_text("h2#h-state")
    assert "Вирішено" in await page.inner_text("#outcome")


def test_an_operator_and_a_focal_point_each_answer_and_close_an_overdue_case(
    console: Console,
) -> None:
    async def scenario() -> None:
        plain = await submit(console.core)
        sealed = await submit(console.core, category="fraud_corruption", narrative="Хабар.")
        console.clock.advance(timedelta(days=4))  # both past their acknowledgement time
        await console.staff("olena", "operator")
        await console.staff("fpoint", "focal_point")

        operator = await console.page()
        await console.sign_in(operator, "olena")
        await operator.wait_for_url("**/console/cases")
        assert await operator.locator(".badge.sensitive").count() == 0
        await answer_and_close(operator, plain.ref)
        # The sensitive case does not exist for the operator.
        missing = await operator.goto(console.url(f"/console/cases/{sealed.ref}"))
        assert missing is not None and missing.status == 404

        focal = await console.page()
        await console.sign_in(focal, "fpoint")
        await focal.wait_for_url("**/console/cases")
        await answer_and_close(focal, sealed.ref)

        for ref in (plain.ref, sealed.ref):
            async with console.core.database.transaction() as session:
                status = await session.scalar(
                    Case.__table__.select().with_only_columns(Case.status).where(Case.ref == ref)
                )
            assert status == "closed"

    console.run(scenario(), timeout=120)
