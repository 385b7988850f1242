"""A closed case's public summary from the case page: written by one person, published
by a different focal point, then on /transparency; with CSRF, audited, never for a
sensitive case."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from storage.enums import AuditAction, Status
from storage.models import AuditEvent
from tests.console.helpers import PHONE, Console
from tests.storage.helpers import make_staff, submit, walk_case

CLOSE = (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED)
SHOTS = os.environ.get("HOLOS_SCREENSHOTS")  # e.g. docs: the README's screenshot
SUMMARY_UK = "Після ваших звернень роздачу у Харкові перенесли під дах."
SUMMARY_EN = "After your reports, the Kharkiv distribution moved indoors."


def test_a_second_focal_point_publishes_to_the_transparency_page(console: Console) -> None:
    async def scenario() -> None:
        writer = await make_staff(console.core, "writer", "focal_point")
        await make_staff(console.core, "reviewer", "focal_point")
        ref = (await submit(console.core)).ref
        open_ref = (await submit(console.core)).ref
        sensitive = (await submit(console.core, category="fraud_corruption")).ref
        await walk_case(console.core, ref, writer, *CLOSE)
        await walk_case(console.core, sensitive, writer, *CLOSE)

        page = await console.page(PHONE, axe=True)
        await console.sign_in(page, "writer")
        await page.wait_for_url("**/console/cases")
        # No block for an open case, nor for a sensitive one (never published).
        for other in (open_ref, sensitive):
            await page.goto(console.url(f"/console/cases/{other}"))
            assert await page.locator("#public-summary").count() == 0

        await page.goto(console.url(f"/console/cases/{ref}"))
        await page.fill("#public-uk", SUMMARY_UK)
        await page.fill("#public-en", SUMMARY_EN)
        await page.click("text=Зберегти для перевірки")
        await page.wait_for_selector("#public-state")
        assert "Ще не опубліковано" in await page.inner_text("#public-state")
        # The writer cannot publish their own text.
        assert await page.locator("text=Опублікувати на сторінці прозорості").count() == 0
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert await console.axe(page) == []
        # A form without the session's CSRF token changes nothing.
        forged = await page.request.post(
            console.url(f"/console/cases/{ref}/public-summary/publish"), form={}
        )
        assert forged.status == 403

        reviewer = await console.page()
        await console.sign_in(reviewer, "reviewer")
        await reviewer.wait_for_url("**/console/cases")
        await reviewer.goto(console.url(f"/console/cases/{ref}"))
        if SHOTS:
            await reviewer.locator("#public-summary").screenshot(
                path=str(Path(SHOTS) / "console-public-summary.png")
            )
        await reviewer.click("text=Опублікувати на сторінці прозорості")
        await reviewer.wait_for_selector("#public-state.ok")
        assert "reviewer" in await reviewer.inner_text("#public-state")

        public = await console.page()
        for lang, text in (("uk", SUMMARY_UK), ("en", SUMMARY_EN)):
            await public.goto(console.url(f"/transparency?lang={lang}"))
            assert text in await public.inner_text("main")

        async with console.core.database.read_only() as session:
            actions = (
                await session.scalars(
                    select(AuditEvent.action).where(
                        AuditEvent.action.in_(
                            [
                                AuditAction.CASE_PUBLIC_SUMMARY_WRITTEN,
                                AuditAction.CASE_PUBLIC_SUMMARY_APPROVED,
                            ]
                        )
                    )
                )
            ).all()
        assert sorted(actions) == [
            AuditAction.CASE_PUBLIC_SUMMARY_APPROVED,
            AuditAction.CASE_PUBLIC_SUMMARY_WRITTEN,
        ]

        # Withdrawn: gone from the public page.
        await reviewer.click("text=Зняти з публікації")
        await reviewer.wait_for_selector("#public-uk")
        await public.goto(console.url("/transparency?lang=uk"))
        assert SUMMARY_UK not in await public.inner_text("main")

    console.run(scenario(), timeout=120)
