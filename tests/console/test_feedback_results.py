"""A feedback point's results in a real browser: the point's page and the dashboard's
section show the figures worked out by hand (tests/storage/feedback_seed.py) as charts
drawn under the CSP and tables, text answers read by a focal point and only counted for
an analyst, a demographic group below 5 withheld, the downloads, 390 px and axe-core.

``HOLOS_SCREENSHOTS=docs`` also saves the README's screenshot of a point's results."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from playwright.async_api import Page

from tests.console.helpers import DESKTOP, PHONE, Console
from tests.storage.feedback_seed import Seeded, seed
from tests.storage.helpers import make_staff

PERIOD = "from=2026-02-01&to=2026-02-28"
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"
SHOTS = os.environ.get("HOLOS_SCREENSHOTS")


async def seeded(console: Console) -> Seeded:
    maker = await make_staff(console.core, "maker", "analyst")
    return await seed(console.core, console.clock, maker)


async def table(page: Page, selector: str) -> list[list[str]]:
    rows: list[list[str]] = await page.evaluate(
        """s => [...document.querySelectorAll(s + ' tr')]
             .map(r => [...r.children].map(c => c.innerText.trim()))""",
        selector,
    )
    return rows


def test_a_points_results_for_an_analyst(console: Console) -> None:
    async def scenario() -> None:
        points = await seeded(console)
        await console.staff("analyst", "analyst")
        page = await console.page(DESKTOP, axe=True)
        await console.sign_in(page, "analyst")
        await page.wait_for_url("**/console/**")
        response = await page.goto(
            console.url(f"/console/feedback-points/{points.food}/results?{PERIOD}")
        )
        assert response is not None and response.status == 200
        block = f'[data-point="{points.food}"]'
        assert await page.inner_text(f"{block} [data-kpi=responses] dd") == "12"
        assert (await page.inner_text(f"{block} [data-kpi=response-rate] dd")).startswith("30.0 %")
        assert await page.inner_text(f"{block} [data-kpi=point-mean] dd") == "3.5"
        # The scale: a chart drawn by Chart.js and a table of the same numbers.
        chart = f"#chart-fp-{points.food}-satisfaction"
        await page.wait_for_selector(f"{chart}[data-drawn=true]")
        drawn = await page.evaluate(
            f"Chart.getChart(document.querySelector('{chart}')).data.datasets[0].data"
        )
        assert drawn == [1, 1, 1, 4, 3]
        scale = await table(page, "[data-table=satisfaction]")
        assert scale[1:] == [
            ["1", "1", "10.0 %"],
            ["2", "1", "10.0 %"],
            ["3", "1", "10.0 %"],
            ["4", "4", "40.0 %"],
            ["5", "3", "30.0 %"],
        ]
        about = await page.inner_text("[data-question=satisfaction] p.muted")
        assert "10 відповідей" in about and "середнє 3.7" in about and "70.0 %" in about
        enough = await table(page, "[data-table=enough]")
        assert enough[1:] == [["Так", "5", "55.6 %"], ["Ні", "4", "44.4 %"]]
        # Sex: four men are fewer than 5, so both groups are only counted together.
        sex = await table(page, "[data-table=sex]")
        assert sex[1:] == [
            ["Жінка", "менше 5", "—"],
            ["Чоловік", "менше 5", "—"],
            ["Разом: Жінка, Чоловік", "12", "—"],
        ]
        crossing = await table(page, "[data-crossing=satisfaction]")
        assert crossing[1:] == [["Разом: Жінка, Чоловік", "10", "3.7", "70.0 %"]]
        # An analyst counts the words, never reads them.
        assert "2 відповіді" in await page.inner_text("[data-question=words]")
        assert await page.locator("[data-texts=words]").count() == 0
        assert "Дякую" not in await page.content()
        assert await console.axe(page) == []

        async with page.expect_download() as info:
            await page.click("text=Відповіді, CSV")
        download = await info.value
        assert download.suggested_filename == (
            f"holos-feedback-{points.food.lower()}-2026-02-01-2026-02-28.csv"
        )
        rows = list(csv.reader(io.StringIO(Path(await download.path()).read_text("utf-8-sig"))))
        assert len(rows) == 13 and rows[0][-2:] == ["Стать", "sex"]
        if SHOTS:
            await page.screenshot(
                path=str(Path(SHOTS) / "console-feedback-results.png"), full_page=True
            )

    console.run(scenario(), timeout=120)


def test_a_focal_point_reads_the_words_on_the_dashboard_at_phone_width(
    console: Console,
) -> None:
    async def scenario() -> None:
        points = await seeded(console)
        await console.staff("focal", "focal_point")
        page = await console.page(PHONE, axe=True)
        await console.sign_in(page, "focal")
        await page.wait_for_url("**/console/**")
        await page.goto(console.url(f"/console/indicators?{PERIOD}"))
        section = page.locator("#feedback-points")
        assert await section.locator("[data-point]").count() == 2
        await page.wait_for_selector(f"#chart-fp-{points.food}-satisfaction[data-drawn=true]")
        words = await page.inner_text(f'[data-point="{points.food}"] [data-texts=words]')
        assert "Дякую" in words and "Черга" in words
        # The cash desk asks no survey: its three ratings only.
        cash = f'[data-point="{points.cash}"]'
        assert await page.inner_text(f"{cash} [data-kpi=point-ratings] dd") == "3"
        assert await page.evaluate(NO_SIDEWAYS), "the dashboard scrolls sideways at 390 px"
        assert await console.axe(page) == []
        # The programme filter keeps the food point only.
        await page.goto(console.url(f"/console/indicators?{PERIOD}&programme=food"))
        assert await section.locator("[data-point]").count() == 1
        # Before the food point opened (15 January) and the cash desk (1 February).
        await page.goto(console.url("/console/indicators?from=2026-01-01&to=2026-01-10"))
        assert await page.is_visible("#no-feedback-points")

    console.run(scenario(), timeout=120)
