"""Referrals and outcomes in the browser (issue 22 §3): an administrator adds a partner,
an operator refers a complaint about assistance with the person's consent and closes it
with an outcome, a focal point does the same for a sealed case; the dashboard and the
export show them under that outcome, the sealed one only to focal points."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from playwright.async_api import Page

from tests.console.helpers import DESKTOP, Console
from tests.storage.helpers import submit

PARTNER = "Правова допомога «Право»"
SHOTS = os.environ.get("HOLOS_SCREENSHOTS")


async def refer_and_close(page: Page, console: Console, ref: str, *, shot: bool = False) -> None:
    await page.goto(console.url(f"/console/cases/{ref}"))
    async with page.expect_navigation():
        await page.click(".transitions button:has-text('Прийняти')")
    await page.select_option("#r-partner", label=PARTNER)
    await page.check("input[name=consent][value=given]")
    await page.fill("#r-note", "Юрист зателефонує сам")
    async with page.expect_navigation():
        await page.click("button:has-text('Зафіксувати передачу')")
    assert "Передано" in await page.inner_text("h2#h-state")
    referrals = await page.inner_text("#outcome .referrals")
    assert PARTNER in referrals and "Згоду надано" in referrals
    if shot and SHOTS:
        # The README's picture: the referral recorded, closing with an outcome next.
        await page.locator(".col-side").screenshot(path=str(Path(SHOTS) / "console-referrals.png"))
    async with page.expect_navigation():
        await page.click(".transitions button:has-text('Позначити як вирішену')")
    await page.select_option("#f-outcome", "referred")
    async with page.expect_navigation():
        await page.click(".close-form button")
    assert "Закрито" in await page.inner_text("h2#h-state")
    assert "Передано партнерам" in await page.inner_text("#outcome")


async def breakdown(page: Page, console: Console) -> dict[str, str]:
    await page.goto(console.url("/console/indicators?group_by=outcome"))
    rows: list[list[str]] = await page.evaluate(
        """() => [...document.querySelectorAll('#table-groups tbody tr')]
             .map(r => [r.dataset.key, r.children[1].innerText.trim()])"""
    )
    return dict((key, count) for key, count in rows)


async def exported(page: Page) -> dict[str, dict[str, str]]:
    async with page.expect_download() as info:
        await page.click("text=Справи, CSV")
    download = await info.value
    text = Path(await download.path()).read_text(encoding="utf-8-sig")
    return {row["Номер"]: row for row in csv.DictReader(io.StringIO(text))}


def test_a_referred_complaint_appears_under_its_outcome_and_a_sealed_one_for_focal_points(
    console: Console,
) -> None:
    async def scenario() -> None:
        for name, role in (
            ("admin", "admin"),
            ("olena", "operator"),
            ("fpoint", "focal_point"),
            ("analyst", "analyst"),
        ):
            await console.staff(name, role)
        complaint = (await submit(console.core, category="assistance_quality")).ref
        sealed = (await submit(console.core, category="fraud_corruption", narrative="Хабар.")).ref

        admin = await console.page(DESKTOP)
        await console.sign_in(admin, "admin")
        await admin.goto(console.url("/console/partners"))
        await admin.fill("#n-partner", PARTNER)
        async with admin.expect_navigation():
            await admin.click("button:has-text('Додати партнера')")
        assert PARTNER in await admin.inner_text(".partners")

        operator = await console.page(DESKTOP)
        await console.sign_in(operator, "olena")
        await refer_and_close(operator, console, complaint, shot=True)
        focal = await console.page(DESKTOP)
        await console.sign_in(focal, "fpoint")
        await refer_and_close(focal, console, sealed)

        # The analyst: the complaint under "referred", the sealed case only as the one
        # sensitive group, and no row of it in the export.
        analyst = await console.page(DESKTOP)
        await console.sign_in(analyst, "analyst")
        assert await breakdown(analyst, console) == {"referred": "1", "sensitive": "1"}
        rows = await exported(analyst)
        assert set(rows) == {complaint}
        assert (
            rows[complaint]["Результат"],
            rows[complaint]["Код результату"],
            rows[complaint]["Кому передано"],
        ) == ("Передано партнерам", "referred", PARTNER)
        # The focal point: both under "referred", both rows exported.
        assert await breakdown(focal, console) == {"referred": "2"}
        rows = await exported(focal)
        assert {rows[ref]["Код результату"] for ref in (complaint, sealed)} == {"referred"}
        assert rows[sealed]["Кому передано"] == PARTNER

    console.run(scenario(), timeout=180)
