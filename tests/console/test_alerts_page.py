"""The alerts section of the account page in Chromium at phone width: a focal point
gives an address and dates away, sees sealed-case alerts fixed on, and gets a one-time
Telegram link; with axe-core's scan clean."""

from __future__ import annotations

import os
from pathlib import Path

from tests.alerts.helpers import alert_rows
from tests.console.helpers import PHONE, Console
from tests.storage.helpers import submit

SHOTS = os.environ.get("HOLOS_SCREENSHOTS")  # a folder: the section, saved for a look


def test_a_focal_point_sets_up_alerts(console: Console) -> None:
    async def scenario() -> None:
        core = console.core
        core.settings.mail_sink = True  # as if HOLOS_SMTP_URL were set
        core.bot_username = "holos_test_bot"
        await console.staff("fpoint", "focal_point")
        page = await console.page(PHONE, axe=True)
        await console.sign_in(page, "fpoint")
        await page.wait_for_url("**/console/cases")
        await page.goto(console.url("/console/password#alerts"))

        sealed = page.locator("input[type=checkbox][value=sealed_case]")
        assert await sealed.is_checked() and await sealed.is_disabled()
        await page.fill("#alert-email", "fpoint@example.org")
        await page.uncheck("input[value=digest]")
        await page.fill("#away-from", "2026-04-01")
        await page.fill("#away-until", "2026-04-03")
        await page.click("text=Зберегти налаштування сповіщень")
        await page.wait_for_selector("#alerts [role=status]")
        assert "збережено" in await page.inner_text("#alerts [role=status]")
        assert await page.input_value("#alert-email") == "fpoint@example.org"
        assert not await page.is_checked("input[value=digest]")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert await console.axe(page) == []

        await page.click("text=Підключити мій Telegram")
        link = await page.get_attribute("#telegram-link", "href")
        assert link and link.startswith("https://t.me/holos_test_bot?start=staff_")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        if SHOTS:
            await page.locator("#alerts").screenshot(path=str(Path(SHOTS) / "console-alerts.png"))

        # Saved for real: a sealed report now queues an alert for this focal point.
        await submit(core, category="sexual_exploitation", narrative="Опис.")
        assert [r.event for r in await alert_rows(core)] == ["sealed_case"]

    console.run(scenario(), timeout=120)
