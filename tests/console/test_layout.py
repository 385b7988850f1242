"""Every main page at phone width (390×844) without horizontal scrolling, and an axe-core
scan with no serious or critical violation; staff accounts managed by an administrator."""

from __future__ import annotations

from playwright.async_api import Page

from storage.services.reply_templates import ReplyTemplateService
from tests.console.helpers import PHONE, Console
from tests.storage.helpers import make_staff, submit

NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


async def check(console: Console, page: Page, path: str) -> None:
    response = await page.goto(console.url(path))
    assert response is not None and response.status == 200, path
    assert await page.evaluate(NO_SIDEWAYS), f"{path} scrolls sideways at 390 px"
    assert await console.axe(page) == [], path


def test_phone_width_and_accessibility(console: Console) -> None:
    async def scenario() -> None:
        ref = (await submit(console.core, narrative="Довгий опис " * 40)).ref
        sealed = (
            await submit(console.core, category="trafficking", narrative="Запропонували роботу.")
        ).ref
        focal = await make_staff(console.core, "fpoint", "focal_point")
        async with console.core.database.transaction() as session:
            await ReplyTemplateService(session, console.core).create(
                focal, name="Дякуємо за звернення", language="en", body="Thank you for writing."
            )
        page = await console.page(PHONE, axe=True)
        await check(console, page, "/console/sign-in")
        await console.sign_in(page, "fpoint")
        await page.wait_for_url("**/console/cases")
        for path in (
            "/console/cases",
            f"/console/cases/{sealed}",  # with the choice of full-text replies
            "/console/cases/new",
            "/console/audit",
            "/console/password",
            "/console/templates",
            f"/console/cases/{ref}",  # last: the checks below are of the case page
        ):
            await check(console, page, path)
        # Every control of the case page is reachable by keyboard, with a name.
        unnamed = await page.evaluate(
            """() => [...document.querySelectorAll('a, button, input, select, textarea')]
                 .filter(e => e.type !== 'hidden' && e.tabIndex < 0).map(e => e.outerHTML)"""
        )
        assert unnamed == []

    console.run(scenario(), timeout=120)


def test_staff_accounts(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("admin", "admin")
        page = await console.page(PHONE, axe=True)
        await console.sign_in(page, "admin")
        await page.wait_for_url("**/console/**")
        await check(console, page, "/console/staff")
        # The console creates operators and analysts only.
        assert await page.locator("#n-role option").all_inner_texts() == ["Оператор", "Аналітик"]
        await page.fill("#n-username", "maria")
        await page.fill("#n-name", "Марія")
        await page.fill("#n-password", "short")
        await page.evaluate("document.querySelector('#n-password').removeAttribute('minlength')")
        await page.click("text=Створити обліковий запис")
        assert "закороткий" in await page.inner_text("[role=alert]")
        await page.fill("#n-password", "a-long-enough-password")
        await page.click("text=Створити обліковий запис")
        await page.wait_for_url("**/console/staff")
        assert "maria" in await page.inner_text(".staff")

        # A new password, then disabled: she cannot sign in any more.
        await page.fill("input[id^=pw-]", "another-long-password")
        await page.click("text=Встановити пароль")
        assert "Збережено." in await page.inner_text("[role=status]")
        maria = await console.page()
        await console.sign_in(maria, "maria", "another-long-password")
        await maria.wait_for_url("**/console/cases")
        await page.click("text=Вимкнути maria")
        assert "вимкнений" in await page.inner_text(".staff")
        await maria.reload()
        assert "/console/sign-in" in maria.url
        # An administrator reads no cases.
        response = await page.goto(console.url("/console/cases"))
        assert response is not None and response.status == 403

    console.run(scenario(), timeout=120)
