"""The public /transparency page in a real browser (Debian's Chromium): it renders in
Ukrainian and English and holds no count below 5."""

from __future__ import annotations

import pytest

from admin_api.public import transparency
from tests.admin_api.test_public import seed_months
from tests.console.helpers import PHONE, Console


def test_the_page_holds_no_count_below_five(console: Console) -> None:
    async def scenario() -> None:
        await seed_months(console, console.clock)  # type: ignore[arg-type]
        for lang, heading in (
            ("uk", "Підзвітність перед людьми, яким ми допомагаємо"),
            ("en", "Accountability to the people we serve"),
        ):
            page = await console.page(PHONE)
            response = await page.goto(console.url(f"/transparency?lang={lang}&months=2"))
            assert response is not None and response.status == 200
            assert await page.inner_text("h1") == heading
            cells = await page.locator("td[data-kind=count]").all_inner_texts()
            assert len(cells) == 12
            for cell in cells:
                text = cell.strip()
                assert text in ("<5", "•") or int(text) >= 5, text
            assert sorted(c.strip() for c in cells if c.strip().isdigit()) == ["5", "6", "6"]
            # Fits a phone: no sideways scrolling.
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390

    console.run(scenario())


FITS = """() => [document.documentElement, ...document.querySelectorAll('.figures-wrap')]
    .every(e => e.scrollWidth <= e.clientWidth)"""


def test_a_phone_sees_the_months_since_the_first_report_and_ways_to_speak_up(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: at 390 px nothing scrolls sideways, not even the table; the months
    before the first report are not shown as a row of empty figures; the page links to
    the bot and, when it is on, to the web form."""

    async def scenario() -> None:
        await seed_months(console, console.clock)  # type: ignore[arg-type]
        page = await console.page(PHONE)
        await page.goto(console.url("/transparency?lang=uk"))  # twelve months asked for
        months = await page.locator("tbody th[scope=row]").all_inner_texts()
        assert months == ["2026-10", "2026-11"]
        assert await page.inner_text("caption") == "2026-10 – 2026-11"
        assert await page.evaluate(FITS), "the page or its table scrolls sideways at 390 px"
        # Each figure says what it is, on a card per month.
        first = page.locator("tbody td[data-kind=count]").first
        assert await first.get_attribute("data-label") == "Скарги та відгуки"
        # No bot username configured, no web form: no links to either.
        assert await page.locator(".speak-up").count() == 0

        console.core.settings.bot_username = "holos_help_bot"
        monkeypatch.setattr(transparency, "web_form_enabled", lambda core: True)
        for lang in ("uk", "en"):
            await page.goto(console.url(f"/transparency?lang={lang}"))
            links = page.locator(".speak-up a")
            assert await links.evaluate_all("a => a.map(x => x.getAttribute('href'))") == [
                "https://t.me/holos_help_bot",
                f"/report?lang={lang}",
            ]
            assert await page.evaluate(FITS)

        monkeypatch.setattr(transparency, "web_form_enabled", lambda core: False)
        await page.goto(console.url("/transparency?lang=en"))
        hrefs = await page.locator(".speak-up a").evaluate_all(
            "a => a.map(x => x.getAttribute('href'))"
        )
        assert hrefs == ["https://t.me/holos_help_bot"]

    console.run(scenario())


def test_before_any_report_the_page_shows_the_last_month_only(console: Console) -> None:
    async def scenario() -> None:
        page = await console.page(PHONE)
        await page.goto(console.url("/transparency?lang=en&months=24"))
        assert await page.locator("tbody th[scope=row]").all_inner_texts() == ["2026-02"]
        assert await page.evaluate(FITS)

    console.run(scenario())
