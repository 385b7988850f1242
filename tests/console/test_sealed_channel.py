"""A child's sexual-exploitation report filed as "behaviour of staff", in Chromium (issue
21 §1–§3): the operator moves it into the sealed channel and loses every trace of it;
the focal point finds it marked new, the worklist refreshing itself without losing the
order, the scroll or the focused row; opening it clears the mark."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.access import Actor
from storage.models import AuditEvent
from storage.services.intake import IntakeService
from storage.services.triage import TriageService
from tests.console.helpers import PHONE, Console
from tests.storage.helpers import submit

NARRATIVE = "Мені 17. Роздавач продуктів каже, що дасть більше їжі, якщо я прийду до нього ввечері."


async def reporter_adds(console: Console, ref: str, text: str) -> None:
    """What the bot stores when the reporter adds information with their receipt code."""
    core = console.core
    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(
            ref, Actor.staff(0, "system", "focal_point"), audit_read=False
        )
        await IntakeService(session, core).add_reporter_info(case.id, text=text)


def test_a_misfiled_report_moves_into_the_sealed_channel(console: Console) -> None:
    async def scenario() -> None:
        core = console.core
        misfiled = await submit(core, category="staff_conduct", narrative=NARRATIVE)
        others = [await submit(core, narrative=f"Черга на видачу ({i}).") for i in range(12)]
        await console.staff("olena", "operator")
        await console.staff("anna", "focal_point")

        # The operator reads it and moves it.
        page = await console.page()
        await console.sign_in(page, "olena")
        await page.wait_for_url("**/console/cases")
        assert await page.locator(".case-row").count() == 13
        await page.click(f"#case-{misfiled.ref}")
        await page.wait_for_url(re.compile(rf"/console/cases/{misfiled.ref}(\?.*)?$"))
        await page.select_option("#f-category", "sexual_exploitation")
        await page.fill("#f-move-note", "Дитина, схоже на сексуальну експлуатацію")
        await page.click("#channel button[type=submit]")
        await page.wait_for_url("**/console/cases?moved=sealed")
        assert "захищеному каналі" in await page.inner_text(".alert.done")

        # Not a trace of it for her: not listed, not counted, not found, 404 by URL.
        assert await page.locator(f"#case-{misfiled.ref}").count() == 0
        assert await page.locator(".badge.sensitive").count() == 0
        assert await page.inner_text(".tabs a:has-text('Відкриті') .count") == "12"
        assert await page.inner_text(".total") == "12 справ"
        await page.fill("#q", "Роздавач")
        await page.click(".filters button[type=submit]")
        await page.wait_for_url("**q=*")
        assert await page.inner_text(".total") == "0 справ"
        response = await page.goto(console.url(f"/console/cases/{misfiled.ref}"))
        assert response is not None and response.status == 404
        assert "Роздавач" not in await page.content()

        # The reporter adds to it with their code.
        await reporter_adds(console, misfiled.ref, "Він знову кликав мене.")

        # The focal point, on a phone: the case is there, marked new, and so is its tab.
        focal = await console.page(PHONE)
        await console.sign_in(focal, "anna")
        await focal.goto(console.url("/console/cases?sort=-created"))
        row = focal.locator(f"li.case-row:has(#case-{misfiled.ref})")
        assert "заявник додав інформацію" in await row.locator(".badge.news").inner_text()
        assert await row.locator(".badge.sensitive").count() == 1
        assert await focal.inner_text(".tabs a:has-text('Відкриті') .news-count") == "нових: 1"

        # The list refreshes itself (here on its "refresh" event rather than after a
        # minute): the order, the scroll, the ticked rows and the focused one stay as
        # they were.
        first_before = await focal.locator(".case-row .ref").first.inner_text()
        ticked = f"li.case-row:has(#case-{others[1].ref}) input.pick"
        await focal.check(ticked)
        await focal.focus(f"#case-{others[0].ref}")
        await focal.evaluate("window.scrollTo(0, 300)")
        scrolled = await focal.evaluate("window.scrollY")
        assert scrolled > 0
        await reporter_adds(console, others[0].ref, "Ще й нагрубили.")
        await focal.dispatch_event("#poller", "refresh")
        await focal.wait_for_selector(f"li.has-news:has(#case-{others[0].ref})")
        assert await focal.inner_text(".tabs a:has-text('Відкриті') .news-count") == "нових: 2"
        assert focal.url.endswith("/console/cases?sort=-created")
        assert await focal.locator(".case-row .ref").first.inner_text() == first_before
        assert await focal.evaluate("document.activeElement.id") == f"case-{others[0].ref}"
        assert await focal.evaluate("window.scrollY") == scrolled
        assert await focal.is_checked(ticked)
        assert await focal.locator("input.pick:checked").count() == 1

        # Opened, it shows everything, and it is new no more.
        await focal.click(f"#case-{misfiled.ref}")
        await focal.wait_for_url(re.compile(rf"/console/cases/{misfiled.ref}(\?.*)?$"))
        text = await focal.inner_text("main")
        assert "Роздавач продуктів" in text and "Він знову кликав мене." in text
        assert "Дитина, схоже на сексуальну експлуатацію" in text
        assert "Категорію змінено" in text  # the timeline says who moved it
        await focal.goto(console.url("/console/cases?sort=-created"))
        row = focal.locator(f"li.case-row:has(#case-{misfiled.ref})")
        assert await row.locator(".badge.news").count() == 0
        async with core.database.transaction() as session:
            reads = (
                await session.scalars(
                    select(AuditEvent.actor_name).where(AuditEvent.action == "case.read")
                )
            ).all()
        assert reads == ["anna"]

    console.run(scenario(), timeout=120)
