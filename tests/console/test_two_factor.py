"""Two-factor sign-in in the browser: the code step and its refusals, enrolment on first
sign-in (QR code, secret, confirmation, recovery codes shown once), and a lost phone."""

from __future__ import annotations

from playwright.async_api import Page

from storage import totp
from tests.console.helpers import PHONE, Console
from tests.console.test_layout import check
from tests.storage.helpers import make_staff, otp

NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


async def submit(page: Page, form: str) -> int:
    async with page.expect_navigation() as navigation:
        await page.click(f"{form} button[type=submit]")
    response = await navigation.value
    assert response is not None
    return response.status


def test_the_code_step_and_its_refusals(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("fpoint", "focal_point")
        page = await console.page(PHONE, axe=True)
        await console.sign_in_by_form(page, "fpoint", second_factor=False)
        assert "/console/sign-in/next-step" in page.url
        assert await page.evaluate(NO_SIDEWAYS)
        assert await console.axe(page) == []
        # Half signed in: the cases stay shut.
        await page.goto(console.url("/console/cases"))
        assert "/console/sign-in/next-step" in page.url

        await page.fill("#code", "000000")
        assert await submit(page, "#code-form") == 401
        assert "Код неправильний" in await page.inner_text("[role=alert]")

        code = await otp(console.core, "fpoint")
        assert code is not None
        await page.fill("#code", code)
        await submit(page, "#code-form")
        await page.wait_for_url("**/console/cases")

        # Signed out and in again: the same code, overheard, does not work twice.
        await page.click("text=Вийти")
        await page.wait_for_url("**/console/sign-in")
        await console.sign_in_by_form(page, "fpoint", second_factor=False)
        await page.fill("#code", code)
        assert await submit(page, "#code-form") == 401

    console.run(scenario(), timeout=120)


def test_first_sign_in_enrols_and_a_recovery_code_resets(console: Console) -> None:
    async def scenario() -> None:
        await make_staff(console.core, "boss", "admin", two_factor=False)
        page = await console.page(PHONE, axe=True)
        await console.sign_in_by_form(page, "boss", second_factor=False)
        assert await page.inner_text("h1") == "Налаштування двофакторного входу"
        assert await page.evaluate(NO_SIDEWAYS)
        assert await console.axe(page) == []
        # The QR code is an image from the console itself, and it loads under the CSP.
        assert await page.evaluate("document.querySelector('img.qr').naturalWidth") > 0
        qr = await page.request.get(console.url("/console/sign-in/enrol/qr.svg"))
        assert qr.headers["content-type"].startswith("image/svg+xml")
        secret = (await page.inner_text("#secret")).replace(" ", "")
        # A reload shows the same secret (the app may have scanned it already).
        await page.reload()
        assert (await page.inner_text("#secret")).replace(" ", "") == secret

        await page.fill("#code", "123456")
        assert await submit(page, "#code-form") == 401
        await page.fill("#code", totp.code_at(secret, console.clock.now()))
        await submit(page, "#code-form")
        codes = await page.locator("#recovery-codes code").all_inner_texts()
        assert len(set(codes)) == 10
        assert await console.axe(page) == []
        await page.click("text=Коди збережено — продовжити")
        await page.wait_for_url("**/console/**")
        await check(console, page, "/console/staff")

        # A lost phone: a recovery code instead of the app, then a new secret.
        await page.click("text=Вийти")
        await page.wait_for_url("**/console/sign-in")
        await console.sign_in_by_form(page, "boss", second_factor=False)
        await page.click("summary")
        await page.fill("#recovery-code", "AAAAA-AAAAA")
        assert await submit(page, "#recovery-form") == 401
        await page.click("summary")
        await page.fill("#recovery-code", codes[0].lower())
        await submit(page, "#recovery-form")
        assert await page.inner_text("h1") == "Налаштування двофакторного входу"
        new_secret = (await page.inner_text("#secret")).replace(" ", "")
        assert new_secret != secret
        await page.fill("#code", totp.code_at(new_secret, console.clock.now()))
        await submit(page, "#code-form")
        assert len(await page.locator("#recovery-codes code").all_inner_texts()) == 10

        # The spent code (and every old one) is gone.
        await page.click("text=Коди збережено — продовжити")
        await page.click("text=Вийти")
        await page.wait_for_url("**/console/sign-in")
        await console.sign_in_by_form(page, "boss", second_factor=False)
        await page.click("summary")
        await page.fill("#recovery-code", codes[1])
        assert await submit(page, "#recovery-form") == 401

    console.run(scenario(), timeout=120)


def test_an_operator_may_choose_two_factor_sign_in(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("olena", "operator")
        page = await console.page()
        await console.sign_in_by_form(page, "olena")
        await page.wait_for_url("**/console/cases")
        await page.goto(console.url("/console/password"))
        await page.click("text=Увімкнути двофакторний вхід")
        await page.wait_for_url("**/console/sign-in/next-step**")
        secret = (await page.inner_text("#secret")).replace(" ", "")
        await page.fill("#code", totp.code_at(secret, console.clock.now()))
        await submit(page, "#code-form")
        assert len(await page.locator("#recovery-codes code").all_inner_texts()) == 10
        await page.click("text=Коди збережено — продовжити")
        await page.wait_for_url("**/console/password")
        assert "Невикористаних резервних кодів: 10" in await page.inner_text("#two-factor")
        # From now on her sign-in asks for the code.
        await page.click("text=Вийти")
        await page.wait_for_url("**/console/sign-in")
        await console.sign_in_by_form(page, "olena", second_factor=False)
        assert await page.locator("#code").count() == 1

    console.run(scenario(), timeout=120)


def test_the_console_does_not_appoint_focal_points(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("boss", "admin")
        page = await console.page()
        await console.sign_in_by_form(page, "boss")
        await page.goto(console.url("/console/staff"))
        # A forged choice the form does not offer: refused, and nothing is created.
        await page.evaluate(
            """() => { const s = document.querySelector('#n-role');
                       s.add(new Option('x', 'focal_point')); s.value = 'focal_point'; }"""
        )
        await page.fill("#n-username", "maria")
        await page.fill("#n-password", "correct horse battery staple")
        assert await submit(page, "form:has(#n-role)") == 403
        assert "з командного рядка" in await page.inner_text("body")
        await page.goto(console.url("/console/staff"))
        assert "maria" not in await page.inner_text("main")

    console.run(scenario(), timeout=120)
