"""The public /transparency page in a real browser (Debian's Chromium): it renders in
Ukrainian and English and holds no count below 5."""

from __future__ import annotations

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
