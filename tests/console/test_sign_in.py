"""Signing in and its refusals, sessions that end, and forged requests, in the browser."""

from __future__ import annotations

from datetime import timedelta

from tests.console.helpers import PASSWORD, Console
from tests.storage.helpers import submit


def test_sign_in_refusals_and_sign_out(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("olena", "operator")
        page = await console.page()
        # A wrong password: the same answer as an unknown name, and no session.
        await console.sign_in_by_form(page, "olena", "not-the-password")
        assert "Неправильне ім" in await page.inner_text("[role=alert]")
        await console.sign_in_by_form(page, "nobody", "not-the-password")
        assert "Неправильне ім" in await page.inner_text("[role=alert]")
        assert [c for c in await page.context.cookies() if c["name"] == "holos_console"] == []

        await console.sign_in_by_form(page, "olena")
        await page.wait_for_url("**/console/cases")
        (cookie,) = [c for c in await page.context.cookies() if c["name"] == "holos_console"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert await page.inner_text("h1") == "Список справ"

        await page.click("text=Вийти")
        await page.wait_for_url("**/console/sign-in")
        await page.goto(console.url("/console/cases"))
        assert "/console/sign-in" in page.url

    console.run(scenario())


def test_session_ends_after_idle_time_and_nothing_is_saved(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("olena", "operator")
        ref = (await submit(console.core)).ref
        page = await console.page()
        await console.sign_in_by_form(page, "olena")
        await page.goto(console.url(f"/console/cases/{ref}"))
        await page.fill("#note-text", "Перевірити список видачі")
        console.clock.advance(timedelta(minutes=31))
        await page.click("text=Додати нотатку")
        await page.wait_for_url("**/console/sign-in**")
        assert "сеанс завершився" in await page.inner_text("[role=alert]")
        # Signed in again, the case has no note.
        await console.sign_in_by_form(page, "olena")
        await page.goto(console.url(f"/console/cases/{ref}"))
        assert "Перевірити список видачі" not in await page.inner_text("#notes")

    console.run(scenario())


def test_a_forged_form_is_refused(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("olena", "operator")
        ref = (await submit(console.core)).ref
        page = await console.page()
        await console.sign_in_by_form(page, "olena")
        await page.goto(console.url(f"/console/cases/{ref}"))
        # Another page's script cannot know the token: here the form's copy is changed.
        await page.eval_on_selector_all(
            "input[name=csrf]", "inputs => inputs.forEach(i => i.value = 'forged')"
        )
        await page.fill("#note-text", "Підроблена нотатка")
        await page.click("text=Додати нотатку")
        assert "Ця форма застаріла" in await page.inner_text("h1")
        # A request without any token, made with the session cookie, is refused too.
        response = await page.request.post(
            console.url(f"/console/cases/{ref}/notes"), form={"text": "Без токена"}
        )
        assert response.status == 403
        await page.goto(console.url(f"/console/cases/{ref}"))
        notes = await page.inner_text("#notes")
        assert "Підроблена нотатка" not in notes and "Без токена" not in notes

    console.run(scenario())


def test_repeated_failures_are_throttled(console: Console) -> None:
    async def scenario() -> None:
        await console.staff("olena", "operator")
        page = await console.page()
        for _ in range(5):
            await console.sign_in_by_form(page, "olena", "not-the-password")
        # Now even the right password waits (from this address; the count is per
        # username and address, so Olena elsewhere is not locked out).
        await page.goto(console.url("/console/sign-in"))
        await page.fill("#username", "olena")
        await page.fill("#password", PASSWORD)
        async with page.expect_navigation() as navigation:
            await page.click("form.stack button[type=submit]")
        response = await navigation.value
        assert response.status == 429
        assert int(response.headers["retry-after"]) > 0
        assert "Забагато спроб" in await page.inner_text("[role=alert]")

    console.run(scenario())
