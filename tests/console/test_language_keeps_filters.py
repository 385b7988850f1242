"""Switching the console's language keeps the page's query: the dashboard's filters and
period survive the switch (issue 24), and the switch still refuses other sites."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.console.helpers import DESKTOP, Console

FILTERS = "from=2026-02-01&to=2026-03-02&oblast=UA-46&programme=food&group_by=category"


def test_switching_language_keeps_the_dashboards_filters(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("analyst", "analyst")
        page = await console.page(DESKTOP)
        await console.sign_in(page, "analyst")
        await page.wait_for_url("**/console/indicators")
        await page.goto(console.url(f"/console/indicators?{FILTERS}"))
        await page.wait_for_selector("h1 >> text=Показники")
        async with page.expect_navigation():
            await page.click("header >> text=English")
        await page.wait_for_selector("h1 >> text=Indicators")
        address = urlsplit(page.url)
        assert address.path == "/console/indicators"
        assert parse_qs(address.query) == parse_qs(FILTERS)
        # The form shows the filters it was given, in the new language.
        assert await page.input_value("#oblast") == "UA-46"
        assert await page.input_value("#from") == "2026-02-01"
        # And back to Ukrainian, still with them.
        async with page.expect_navigation():
            await page.click("header >> text=Українська")
        await page.wait_for_selector("h1 >> text=Показники")
        assert parse_qs(urlsplit(page.url).query) == parse_qs(FILTERS)

    console.run(scenario(), timeout=120)


def test_a_switch_back_to_another_site_lands_in_the_console(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("analyst", "analyst")
        page = await console.page(DESKTOP)
        await console.sign_in(page, "analyst")
        await page.wait_for_url("**/console/indicators")
        # A tampered field: the switch never leaves the console.
        await page.eval_on_selector(
            "form.languages input[name=back]", "e => e.value = '//evil.example/?x=1'"
        )
        async with page.expect_navigation():
            await page.click("header >> text=English")
        assert urlsplit(page.url).netloc == urlsplit(console.base_url).netloc
        assert urlsplit(page.url).path.startswith("/console/")

    console.run(scenario(), timeout=120)
