"""What the console shows staff, in a real browser (issue 18 §4–5): hidden characters
in what reporters and staff wrote as visible markers; an administrator's audit page
without any attribute of a sensitive case; an analyst's narrowed dashboard without
sensitive reports; extreme dates in every filter answered, never a 500.

``HOLOS_SCREENSHOTS=<folder>`` saves the pages at 390 and 1366 px for a look.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from playwright.async_api import Page

from storage.services.triage import TriageService
from tests.console.helpers import DESKTOP, PHONE, Console
from tests.storage.helpers import make_staff, submit

SHOTS = os.environ.get("HOLOS_SCREENSHOTS")
# Reads "pay 100.00" on screen without the markers; the bytes say "pay 00.001".
TROJAN = "Сплатити \u202e00.001\u202c грн\u200b за місце у списку"
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


async def shoot(page: Page, name: str) -> None:
    if SHOTS:
        for size, viewport in (("1366", DESKTOP), ("390", PHONE)):
            await page.set_viewport_size(viewport)
            await page.screenshot(path=str(Path(SHOTS) / f"{name}-{size}.png"), full_page=True)
        await page.set_viewport_size(DESKTOP)


def test_hidden_characters_are_shown_as_markers(console: Console) -> None:
    async def scenario() -> None:
        ref = (await submit(console.core, narrative=TROJAN)).ref
        operator = await make_staff(console.core, "olena", "operator")
        async with console.core.database.transaction() as session:
            await TriageService(session, console.core).add_note(
                ref, operator, "Перевірити \u2066список\u2069 \u200fпізніше"
            )
        page = await console.page()
        await console.sign_in(page, "olena")
        await page.goto(console.url(f"/console/cases/{ref}"))
        narrative = await page.inner_text(".narrative")
        assert "⟨U+202E⟩00.001⟨U+202C⟩ грн⟨U+200B⟩ за місце" in narrative
        assert "\u202e" not in narrative and "\u200b" not in narrative
        note = await page.inner_text("#notes li")
        assert "⟨U+2066⟩список⟨U+2069⟩ ⟨U+200F⟩пізніше" in note
        # The reply preview shows what staff typed the same way.
        await page.fill("#reply-text", "Готово \u202eрешта\u202c")
        await page.click("#reply-text ~ .actions button >> nth=0")
        await page.wait_for_selector("#reply-preview .bubble")
        assert "⟨U+202E⟩решта⟨U+202C⟩" in await page.inner_text("#reply-preview .bubble")
        assert await page.evaluate(NO_SIDEWAYS)
        await shoot(page, "case-markers")

    console.run(scenario())


def test_an_admins_audit_page_shows_no_attribute_of_a_sensitive_case(console: Console) -> None:
    async def scenario() -> None:
        sealed = (
            await submit(console.core, category="trafficking", oblast="UA-46", programme="cash")
        ).ref
        standard = (await submit(console.core, oblast="UA-32")).ref
        await console.staff("root", "admin")
        page = await console.page()
        await console.sign_in(page, "root")
        await page.goto(console.url("/console/audit"))
        items = await page.locator("ol.audit li").all_inner_texts()
        mine = [i for i in items if sealed in i]
        assert mine and all("лише контактні особи" in i for i in mine), mine
        shown = " ".join(items)
        for attribute in ("Торгівля", "trafficking", "UA-46", "Житомир", "cash"):
            assert attribute not in shown, attribute
        assert any(standard in i for i in items)
        await shoot(page, "audit-sealed")

    console.run(scenario())


def test_an_analysts_narrowed_dashboard_and_files_leave_sensitive_reports_out(
    console: Console,
) -> None:
    async def scenario() -> None:
        for category in ("assistance_quality", "assistance_quality", "sexual_exploitation"):
            await submit(console.core, category=category)
        await console.staff("anna", "analyst")
        page = await console.page()
        await console.sign_in(page, "anna")
        await page.wait_for_url("**/console/indicators")
        # This month so far, no filter: the one group is counted.
        assert await page.locator("#sensitive-left-out").count() == 0
        assert (await page.inner_text("[data-kpi=received] dd")).strip() == "3"
        await page.goto(console.url("/console/indicators?oblast=UA-63"))
        assert await page.locator("#sensitive-left-out").count() == 1
        assert (await page.inner_text("[data-kpi=received] dd")).strip() == "2"
        await shoot(page, "indicators-left-out")
        async with page.expect_download() as info:
            await page.click("text=Справи, CSV")
        text = Path(await (await info.value).path()).read_text(encoding="utf-8-sig")
        assert len(list(csv.DictReader(io.StringIO(text)))) == 2
        # Without a filter too: an analyst's file never holds a sensitive row.
        await page.goto(console.url("/console/indicators"))
        async with page.expect_download() as info:
            await page.click("text=Справи, CSV")
        text = Path(await (await info.value).path()).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 2 and {r["Код категорії"] for r in rows} == {"assistance_quality"}
        assert {r["Категорія"] for r in rows} == {"Якість або кількість допомоги"}

    console.run(scenario())


def test_extreme_dates_in_console_filters_are_answered(console: Console) -> None:
    async def scenario() -> None:
        await submit(console.core)
        await console.staff("focal", "focal_point")
        page = await console.page()
        await console.sign_in(page, "focal")
        await page.wait_for_url("**/console/cases")
        for path in (
            "/console/cases?created_from=0001-01-01&created_to=9999-12-31",
            "/console/cases?created_to=9999-12-31",
            "/console/indicators?from=0001-01-01&to=9999-12-31",
            "/console/indicators?to=9999-12-31",
            "/console/audit?since=0001-01-01&until=9999-12-31",
        ):
            response = await page.goto(console.url(path))
            assert response is not None and response.status == 200, path
        for path in (
            "/console/indicators/monthly?month=9999-12",
            "/console/indicators/monthly?month=0000-01",
        ):
            response = await page.goto(console.url(path))
            assert response is not None and response.status == 400, path  # a bad request
            assert "неправильно" in await page.inner_text("main")  # as for 2026-13
        async with page.expect_download() as info:
            await page.evaluate(
                "url => { const a = document.createElement('a'); a.href = url;"
                " document.body.append(a); a.click(); }",
                console.url("/console/indicators/export?from=0001-01-01&to=9999-12-31"),
            )
        assert (await info.value).suggested_filename.startswith("holos-cases-")

    console.run(scenario())
