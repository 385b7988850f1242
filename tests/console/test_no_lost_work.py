"""No lost work (issue 22 §4): a session that ends mid-reply sends the operator to sign in
and back to the same case with the text restored, and every console error is a page in
the console's language, never JSON."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import select

from storage.models import Note, Reply
from tests.console.helpers import PASSWORD, Console
from tests.console.http_client import ServedConsole, csrf_of
from tests.storage.helpers import make_staff, submit

REPLY = "Дякуємо, ми перевіримо список видачі у вашій громаді."
NOTE = "Перевірити список видачі за березень"


async def signed_in(served: ServedConsole, username: str = "olena") -> object:
    await make_staff(served.core, username, "operator")
    browser = await served.browser()
    assert (await browser.password(username)).status_code == 303
    return browser


def is_page(response: httpx.Response) -> bool:
    return str(response.headers.get("content-type", "")).startswith("text/html")


# Over HTTP, on both engines ------------------------------------------------------------


async def test_an_expired_forms_sign_in_leads_back_to_its_case(served: ServedConsole) -> None:
    core = served.core
    ref = (await submit(core)).ref
    browser = await signed_in(served)
    page = await browser.get(f"/console/cases/{ref}")  # type: ignore[attr-defined]
    token = csrf_of(page.text)
    core.clock.advance(timedelta(minutes=31))  # type: ignore[attr-defined]
    for form, data in (
        ("replies", {"text": REPLY, "language": "uk", "csrf": token}),
        ("notes", {"text": NOTE, "csrf": token}),
        ("public-summary", {"uk": "Підсумок", "csrf": token}),
        ("referrals", {"partner": "1", "consent": "given", "csrf": token}),
    ):
        sent = await browser.post(f"/console/cases/{ref}/{form}", data)  # type: ignore[attr-defined]
        assert sent.status_code == 303, form
        location = sent.headers["location"]
        assert location.startswith("/console/sign-in?next=")
        # Back to the case itself, never to the address that only takes forms.
        assert unquote(location.split("next=")[1].split("&")[0]) == f"/console/cases/{ref}"
        assert location.endswith("&expired=1")
    async with core.database.read_only() as session:
        assert list(await session.scalars(select(Reply))) == []
        assert list(await session.scalars(select(Note))) == []


async def test_console_errors_are_pages_in_the_consoles_language(served: ServedConsole) -> None:
    core = served.core
    ref = (await submit(core)).ref
    browser = await signed_in(served)
    # A form's address opened as a page (a bookmark, a reload): its case page.
    opened = await browser.get(f"/console/cases/{ref}/replies")  # type: ignore[attr-defined]
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/console/cases/{ref}"
    # No such page: a page, with the console's links, in the viewer's language.
    missing = await browser.get("/console/no-such-page", **{"Accept-Language": "uk"})  # type: ignore[attr-defined]
    assert missing.status_code == 404 and is_page(missing)
    assert "Такої сторінки немає" in missing.text
    # A method the address does not take, and a form the browser sent broken.
    wrong = await browser.http.put(f"/console/cases/{ref}/notes")  # type: ignore[attr-defined]
    assert wrong.status_code == 405 and is_page(wrong)
    page = await browser.get(f"/console/cases/{ref}")  # type: ignore[attr-defined]
    broken = await browser.post(  # type: ignore[attr-defined]
        f"/console/cases/{ref}/triage", {"version": "not-a-number", "csrf": csrf_of(page.text)}
    )
    assert broken.status_code == 422 and is_page(broken)
    assert '"code"' not in broken.text
    # The JSON API keeps its JSON.
    api = await browser.http.get("/api/v1/no-such-thing")  # type: ignore[attr-defined]
    assert api.status_code == 404 and api.json()["code"] == "not_found"


async def test_an_unexpected_error_in_the_console_is_a_page(
    served: ServedConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = (await submit(served.core)).ref
    browser = await signed_in(served)

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    from storage.services.triage import TriageService

    monkeypatch.setattr(TriageService, "page", broken)
    answer = await browser.get(f"/console/cases/{ref}")  # type: ignore[attr-defined]
    assert answer.status_code == 500 and is_page(answer)
    assert "nothing was saved" in answer.text


# In Chromium ---------------------------------------------------------------------------


def test_a_reply_typed_when_the_session_ends_comes_back_after_signing_in(
    console: Console,
) -> None:
    async def scenario() -> None:
        await console.staff("olena", "operator")
        ref = (await submit(console.core)).ref
        page = await console.page()
        await console.sign_in(page, "olena")
        await page.goto(console.url(f"/console/cases/{ref}"))
        await page.fill("#reply-text", REPLY)
        await page.fill("#note-text", NOTE)
        # The console's clock moves past the idle limit while the operator types.
        console.clock.advance(timedelta(minutes=31))
        await page.click("text=Надіслати відповідь")
        await page.wait_for_url("**/console/sign-in**")
        assert "сеанс завершився" in await page.inner_text("[role=alert]")
        # Signed in again on the page the console sent the operator to.
        await page.fill("#username", "olena")
        await page.fill("#password", PASSWORD)
        async with page.expect_navigation():
            await page.click("form.stack button[type=submit]")
        # The same case, not an error and not JSON, with both texts back.
        await page.wait_for_url(f"**/console/cases/{ref}")
        assert await page.inner_text("h1") == ref
        assert await page.input_value("#reply-text") == REPLY
        assert await page.input_value("#note-text") == NOTE
        assert await page.is_visible("#reply-text-restored")
        async with console.core.database.read_only() as session:
            assert list(await session.scalars(select(Reply))) == []
        # Sent now: it is saved once, and the box is empty after it.
        await page.click("text=Надіслати відповідь")
        await page.wait_for_url(re.compile(rf"/console/cases/{ref}\?saved=reply#replies$"))
        assert REPLY in await page.inner_text("#replies .entries")
        assert await page.input_value("#reply-text") == ""
        await page.reload()
        assert await page.input_value("#reply-text") == ""
        # The note was not sent: it is still kept.
        assert await page.input_value("#note-text") == NOTE
        async with console.core.database.read_only() as session:
            assert len(list(await session.scalars(select(Reply)))) == 1
        # Signing out leaves nothing typed behind in the tab.
        await page.click("text=Вийти")
        await console.sign_in(page, "olena")
        await page.goto(console.url(f"/console/cases/{ref}"))
        assert await page.input_value("#note-text") == ""

    console.run(scenario(), timeout=120)
