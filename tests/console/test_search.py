"""Search in the reporters' languages, in Chromium (issue 22 §1): a Ukrainian place name
typed in its dictionary form finds the case that has it inflected, a Russian word finds
its forms, and a case reference typed into the search box opens the case. (The same
search on PostgreSQL: tests/storage/test_search_lemmas.py.)"""

from __future__ import annotations

from storage.enums import Language
from tests.console.helpers import Console
from tests.storage.helpers import submit


def test_an_inflected_place_name_is_found_and_a_reference_opens_its_case(
    console: Console,
) -> None:
    async def scenario() -> None:
        core = console.core
        kharkiv = await submit(core, narrative="Черга на видачу у Харкові тягнеться з ранку")
        await submit(core, narrative="Мешканці Сум без води", oblast="UA-59")
        russian = await submit(core, narrative="В Харькове не хватает помощи", language=Language.RU)
        await console.staff("olena", "operator")
        page = await console.page()
        await console.sign_in(page, "olena")
        await page.wait_for_url("**/console/cases")

        async def search(words: str) -> list[str]:
            await page.fill("#q", words)
            async with page.expect_navigation():
                await page.click("button:has-text('Показати')")
            return await page.locator(".case-row .ref").all_inner_texts()

        assert await search("Харків") == [kharkiv.ref]
        assert await page.inner_text(".total") == "1 справа"
        assert await search("видача харків") == [kharkiv.ref]
        assert await search("Харьков помощь") == [russian.ref]
        assert await search("Суми Харків") == []

        # A reference as people type it: lower case, spaces for hyphens.
        await page.fill("#q", kharkiv.ref.lower().replace("-", " "))
        await page.click("button:has-text('Показати')")
        await page.wait_for_url(f"**/console/cases/{kharkiv.ref}")
        assert "у Харкові" in await page.inner_text(".narrative")

    console.run(scenario(), timeout=120)
