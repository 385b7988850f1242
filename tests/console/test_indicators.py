"""The M&E dashboard in a real browser: charts and their tables for an analyst, numbers
equal to the stats service's, the role rules, downloads with the right headers, the
monthly workbook, phone width and axe-core.

``HOLOS_SCREENSHOTS=docs`` also saves the README's screenshots of the dashboard.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from playwright.async_api import Page
from sqlalchemy import select

from storage.access import Actor
from storage.enums import AuditAction, Language, Status
from storage.models import AuditEvent
from storage.repositories.filters import CaseFilter
from storage.services.ratings import RatingService
from storage.services.stats import StatsReport, StatsService
from tests.console.helpers import DESKTOP, PHONE, Console
from tests.storage.helpers import make_staff, submit, walk_case

FEBRUARY = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
MARCH = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
PERIOD = "from=2026-02-01&to=2026-03-02"
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"
SHOTS = os.environ.get("HOLOS_SCREENSHOTS")


async def seed(console: Console) -> Actor:
    """February: 3 quality, 2 selection, 1 trafficking (sensitive), one of the quality
    cases resolved; 4 ratings. March: 2 quality. Returns a focal point."""
    focal = await make_staff(console.core, "focal", "focal_point")
    plan = [(FEBRUARY, "assistance_quality", 3), (FEBRUARY, "selection_process", 2)]
    plan += [(FEBRUARY, "trafficking", 1), (MARCH, "assistance_quality", 2)]
    refs = []
    for at, category, n in plan:
        for i in range(n):
            console.clock.set(at + timedelta(minutes=i))
            refs.append((await submit(console.core, category=category)).ref)
    console.clock.set(FEBRUARY + timedelta(hours=2))
    await walk_case(
        console.core, refs[0], focal, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED
    )
    for i, (score, reasons) in enumerate(
        [(5, []), (4, []), (2, ["waiting_time"]), (1, ["waiting_time", "respect"])]
    ):
        console.clock.set(FEBRUARY + timedelta(hours=3 + i))
        async with console.core.database.transaction() as session:
            await RatingService(session, console.core).rate_assistance(
                programme="food", score=score, reasons=reasons, language=Language.UK
            )
    console.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    return focal


async def service_report(console: Console, actor: Actor) -> StatsReport:
    async with console.core.database.read_only() as session:
        service = StatsService(session, console.core)
        period = service.period(date(2026, 2, 1), date(2026, 3, 2))
        return await service.report(actor, CaseFilter(), period)


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f} %"


async def kpi(page: Page, name: str) -> str:
    return (await page.inner_text(f"[data-kpi={name}] dd")).strip()


async def table(page: Page, table_id: str) -> list[list[str]]:
    rows: list[list[str]] = await page.evaluate(
        """id => [...document.querySelectorAll('#' + id + ' tr')]
             .map(r => [...r.children].map(c => c.innerText.trim()))""",
        table_id,
    )
    return rows


def test_the_analyst_sees_charts_tables_and_the_services_numbers(console: Console) -> None:
    async def scenario() -> None:
        await seed(console)
        analyst = await make_staff(console.core, "analyst", "analyst")
        expected = await service_report(console, analyst)
        page = await console.page(DESKTOP, axe=True)
        await console.sign_in(page, "analyst")
        # An analyst's console starts at the dashboard (cases are not theirs to read).
        await page.wait_for_url("**/console/indicators")
        assert await page.inner_text("nav [aria-current=page]") == "Показники"
        response = await page.goto(console.url(f"/console/indicators?{PERIOD}"))
        assert response is not None and response.status == 200

        cases = expected.cases
        assert await kpi(page, "received") == str(cases.received) == "8"
        assert (await kpi(page, "acknowledged")).startswith(
            percent(cases.share_acknowledged_within_sla)
        )
        assert f"{cases.acknowledged_within_sla} з {cases.acknowledge_decided}" in await kpi(
            page, "acknowledged"
        )
        assert (await kpi(page, "resolved")).startswith(percent(cases.share_resolved_within_sla))
        assert await kpi(page, "open") == str(cases.open) == "7"
        assert await kpi(page, "overdue") == str(cases.overdue)
        assert await kpi(page, "ratings") == "4"
        assert await kpi(page, "mean") == str(expected.satisfaction.mean) == "3.0"
        assert await kpi(page, "satisfied") == percent(expected.satisfaction.share_satisfied)

        # Three charts drawn by Chart.js, each with a table of the same numbers.
        for chart in ("chart-by-category", "chart-sla", "chart-satisfaction"):
            await page.wait_for_selector(f"#{chart}[data-drawn=true]")
            assert await page.evaluate(f"!!Chart.getChart('{chart}')")
        by_category = await table(page, "table-by-category")
        assert by_category[0] == ["Категорія", "2026-02", "2026-03"]
        assert ["Якість або кількість допомоги", "3", "2"] in by_category
        assert ["Відбір і реєстрація", "2", "0"] in by_category
        # The analyst sees the trafficking report only inside one group.
        assert ["Чутливі звернення (одна група)", "1", "0"] in by_category
        assert not any("Торгівля" in row[0] for row in by_category)
        assert by_category[-1] == ["Усі справи", "6", "2"]
        chart_data = await page.evaluate("Chart.getChart('chart-by-category').data.datasets")
        assert sorted(sum(d["data"]) for d in chart_data) == [1, 2, 5]
        satisfaction = await table(page, "table-satisfaction")
        assert satisfaction[1:] == [["1", "1"], ["2", "1"], ["3", "0"], ["4", "1"], ["5", "1"]]
        assert "Довге очікування: 2" in await page.inner_text("#reasons")
        sla = await table(page, "table-sla")
        assert [row[0] for row in sla[1:]] == ["2026-02", "2026-03"]

        # A breakdown by category keeps sensitive reports in their one group.
        assert not await page.is_visible("#group_by")  # behind "more filters" at first
        await page.click("text=Інші фільтри та розподіл")
        await page.select_option("#group_by", "category")
        await page.click("form.filters button[type=submit]")
        await page.wait_for_selector("#table-groups")
        keys = await page.eval_on_selector_all(
            "#table-groups tbody tr", "r => r.map(x => x.dataset.key)"
        )
        assert keys == ["assistance_quality", "selection_process", "sensitive"]
        assert await console.axe(page) == []

        if SHOTS:
            await page.goto(console.url(f"/console/indicators?{PERIOD}"))
            await page.wait_for_selector("#chart-satisfaction[data-drawn=true]")
            await page.screenshot(path=str(Path(SHOTS) / "console-indicators.png"), full_page=True)

    console.run(scenario(), timeout=120)


def test_a_focal_point_sees_sensitive_categories_and_phone_width(console: Console) -> None:
    async def scenario() -> None:
        await seed(console)
        page = await console.page(PHONE, axe=True)
        await console.sign_in(page, "focal")
        await page.wait_for_url("**/console/cases")
        response = await page.goto(console.url(f"/console/indicators?{PERIOD}&group_by=month"))
        assert response is not None and response.status == 200
        await page.wait_for_selector("#chart-by-category[data-drawn=true]")
        by_category = await table(page, "table-by-category")
        assert ["Торгівля людьми або трудова експлуатація", "1", "0"] in by_category
        assert await page.evaluate(NO_SIDEWAYS), "the dashboard scrolls sideways at 390 px"
        assert await console.axe(page) == []
        if SHOTS:
            await page.screenshot(
                path=str(Path(SHOTS) / "console-indicators-phone.png"), full_page=True
            )

    console.run(scenario(), timeout=120)


def test_an_operator_cannot_open_the_dashboard(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("operator", "operator")
        page = await console.page()
        await console.sign_in(page, "operator")
        await page.wait_for_url("**/console/cases")
        assert await page.locator("nav a[href$='/indicators']").count() == 0
        for path in (
            "/console/indicators",
            "/console/indicators/export?kind=cases&format=csv",
            "/console/indicators/monthly?month=2026-02",
        ):
            response = await page.goto(console.url(path))
            assert response is not None and response.status == 403, path

    console.run(scenario())


def test_downloads_carry_the_filters_and_the_roles_columns(console: Console) -> None:
    async def scenario() -> None:
        await seed(console)
        await console.staff("analyst", "analyst")
        page = await console.page()  # the CSP is enforced here (no axe-core)
        refused: list[str] = []
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        await console.sign_in(page, "analyst")
        await page.wait_for_url("**/console/**")
        await page.goto(console.url(f"/console/indicators?{PERIOD}&programme=food"))
        # Chart.js draws under the console's strict CSP, with nothing refused.
        for chart in ("chart-by-category", "chart-sla", "chart-satisfaction"):
            await page.wait_for_selector(f"#{chart}[data-drawn=true]")
        assert refused == []

        async with page.expect_download() as info:
            await page.click("text=Справи, CSV")
        download = await info.value
        assert download.suggested_filename == "holos-cases-2026-02-01-2026-03-02.csv"
        text = Path(await download.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 7  # the trafficking report is no row of an analyst's file
        assert list(rows[0])[:3] == ["Номер", "Отримано (за київським часом)", "Місяць"]
        assert "Опис" not in rows[0] and "Зв’язок" not in rows[0]  # no narrative, no contact
        assert {r["Чутлива"] for r in rows} == {"false"}
        # Names in the page's language, codes beside them (issue 24).
        assert {r["Програма"] for r in rows} <= {"", "Продуктова допомога"}
        assert {(r["Категорія"], r["Код категорії"]) for r in rows} == {
            ("Якість або кількість допомоги", "assistance_quality"),
            ("Відбір і реєстрація", "selection_process"),
        }

        async with page.expect_download() as info:
            await page.click("text=Оцінки, Excel")
        download = await info.value
        assert download.suggested_filename.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(Path(await download.path()).read_bytes())).active
        assert sheet is not None
        header = [c.value for c in sheet[1]]
        assert header[:4] == [
            "Ідентифікатор",
            "Вид",
            "Код виду",
            "Дата оцінки (за київським часом)",
        ]
        assert "Коментар" not in header
        assert sheet.max_row == 5

        # English page, English headers; the oblast filter travels with the link.
        await page.click("header >> text=English")
        await page.goto(console.url(f"/console/indicators?{PERIOD}&oblast=UA-46"))
        await page.wait_for_selector("h1 >> text=Indicators")
        async with page.expect_download() as info:
            await page.click("text=Cases, CSV")
        download = await info.value
        text = Path(await download.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows == [] and text.startswith("Reference,Received (Kyiv time)")

        # The monthly accountability workbook, as `holos report monthly` writes it.
        await page.fill("#month", "2026-02")
        async with page.expect_download() as info:
            await page.click("text=Download the workbook")
        download = await info.value
        assert download.suggested_filename == "holos-monthly-2026-02.xlsx"
        book = load_workbook(io.BytesIO(Path(await download.path()).read_bytes()))
        assert book.sheetnames[0] == "Summary" and "Notes" in book.sheetnames
        assert len(book["Trend"]._charts) == 2
        # The same workbook in Ukrainian, chosen on the English page (issue 24).
        await page.select_option("#workbook-lang", "uk")
        async with page.expect_download() as info:
            await page.click("text=Download the workbook")
        download = await info.value
        book = load_workbook(io.BytesIO(Path(await download.path()).read_bytes()))
        assert book.sheetnames[0] == "Підсумок" and "Примітки" in book.sheetnames
        assert book["Підсумок"]["A3"].value == "Показник"

        # Each download is an audit event, as through the API.
        async with console.core.database.read_only() as session:
            targets = (
                await session.scalars(
                    select(AuditEvent.target).where(AuditEvent.action == AuditAction.EXPORT_CREATED)
                )
            ).all()
        assert sorted(t or "" for t in targets) == [
            "export:cases",
            "export:cases",
            "export:monthly",
            "export:monthly",
            "export:ratings",
        ]

    console.run(scenario(), timeout=120)
