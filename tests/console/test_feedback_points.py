"""The feedback points pages (issue 24): analysts, focal points and administrators keep
the points, every staff member reads them; a point's page shows its code, its Telegram
and web links and leads to its survey, poster and results. Over HTTP on both engines,
and in Chromium."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from storage.models import AuditEvent, FeedbackPoint
from storage.services.feedback_points import FeedbackPointService
from tests.console.helpers import Console, texts_of
from tests.console.http_client import Browser, ServedConsole, alert_of, csrf_of
from tests.storage.helpers import make_staff, otp

FORM = {
    "name": "Видача, школа 4",
    "programme": "food",
    "oblast": "UA-63",
    "site": "Салтівка",
    "active_from": "2026-03-01",
    "active_until": "2026-03-31",
    "served": "400",
}


async def signed_in(served: ServedConsole, username: str) -> Browser:
    browser = await served.browser()
    assert (await browser.password(username)).status_code == 303
    code = await otp(served.core, username)
    if code is not None:
        await browser.step()
        assert (await browser.code(code)).status_code == 303
    return browser


async def points(served: ServedConsole) -> list[FeedbackPoint]:
    async with served.core.database.transaction() as session:
        return await FeedbackPointService(session, served.core).list()


async def test_keepers_create_and_change_points_and_operators_only_read(
    served: ServedConsole,
) -> None:
    core = served.core
    core.settings.public_url = "http://holos.example.org"
    await make_staff(core, "anna", "analyst")
    await make_staff(core, "olena", "operator")
    analyst = await signed_in(served, "anna")
    page = await analyst.get("/console/feedback-points")
    assert page.status_code == 200 and 'id="new-point"' in page.text

    # Refused on the page, with what was typed kept.
    wrong = await analyst.post(
        "/console/feedback-points",
        {**FORM, "active_until": "2026-02-01", "csrf": csrf_of(page.text)},
    )
    assert wrong.status_code == 422
    assert alert_of(wrong.text) == "The last day is before the first."
    assert 'value="Видача, школа 4"' in wrong.text
    for field, value, message in (
        ("served", "0", "The number of people served is a whole number above zero, or left empty."),
        (
            "served",
            "many",
            "The number of people served is a whole number above zero, or left empty.",
        ),
        ("active_from", "first", "Give the first day, and the last day if there is one, as dates."),
        ("programme", "", "Choose a programme from the list."),
        ("oblast", "UA-99", "Choose an oblast from the list."),
        ("name", " ", "Give the feedback point a name of up to 120 characters."),
    ):
        refused = await analyst.post(
            "/console/feedback-points", {**FORM, field: value, "csrf": csrf_of(page.text)}
        )
        assert (refused.status_code, alert_of(refused.text)) == (422, message), field
    assert await points(served) == []

    made = await analyst.post("/console/feedback-points", {**FORM, "csrf": csrf_of(page.text)})
    assert made.status_code == 303
    (point,) = await points(served)
    assert made.headers["location"] == f"/console/feedback-points/{point.code}"
    detail = await analyst.get(made.headers["location"])
    text = texts_of(detail.text)
    assert point.code in text and "Салтівка" in text and "400" in text
    # No bot username known yet: said so; the web link from HOLOS_PUBLIC_URL.
    assert "HOLOS_BOT_USERNAME" in text
    assert f'href="http://holos.example.org/r/{point.code}"' in detail.text
    for page_name in ("survey", "poster", "results"):
        assert f'href="/console/feedback-points/{point.code}/{page_name}"' in detail.text

    core.bot_username = "holos_test_bot"  # as the bot's getMe gave it
    changed = await analyst.post(
        f"/console/feedback-points/{point.code}",
        {**FORM, "name": "Школа 4", "served": "", "csrf": csrf_of(detail.text)},
    )
    assert changed.status_code == 200 and "Saved." in changed.text
    assert f'href="https://t.me/holos_test_bot?start=fp_{point.code}"' in changed.text
    (point,) = await points(served)
    assert (point.name, point.served, point.active_until) == ("Школа 4", None, date(2026, 3, 31))

    # Filters.
    listed = await analyst.get("/console/feedback-points?programme=food&oblast=UA-63")
    assert "Школа 4" in listed.text
    other = await analyst.get("/console/feedback-points?programme=cash")
    assert "Школа 4" not in other.text and "No feedback points with these filters." in other.text

    # An operator reads the list and the point, and changes nothing.
    operator = await signed_in(served, "olena")
    read = await operator.get("/console/feedback-points")
    assert read.status_code == 200 and "Школа 4" in read.text and 'id="new-point"' not in read.text
    own = await operator.get(f"/console/feedback-points/{point.code}")
    assert own.status_code == 200 and 'id="edit-point"' not in own.text
    refused = await operator.post(
        f"/console/feedback-points/{point.code}", {**FORM, "csrf": csrf_of(own.text)}
    )
    assert refused.status_code == 403
    refused = await operator.post("/console/feedback-points", {**FORM, "csrf": csrf_of(own.text)})
    assert refused.status_code == 403
    missing = await operator.get("/console/feedback-points/ZZZZZZ")
    assert missing.status_code == 404
    assert len(await points(served)) == 1

    async with core.database.transaction() as session:
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.target == f"feedback_point:{point.code}")
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["feedback_point.created", "feedback_point.updated"]


def test_a_focal_point_creates_a_point_in_the_browser(console: Console) -> None:
    async def scenario() -> None:
        console.core.bot_username = "holos_test_bot"
        console.core.settings.public_url = "http://holos.example.org"
        await console.staff("fpoint", "focal_point")
        page = await console.page(axe=True)
        await console.sign_in(page, "fpoint")
        await page.click("nav a[href='/console/feedback-points']")
        await page.wait_for_url("**/console/feedback-points")
        await page.fill("#n-name", "Видача, школа 4")
        await page.select_option("#n-programme", "food")
        await page.select_option("#n-oblast", "UA-63")
        await page.fill("#n-site", "Салтівка")
        await page.fill("#n-from", "2026-03-01")
        await page.fill("#n-until", "2026-03-31")
        await page.fill("#n-served", "400")
        async with page.expect_navigation():
            await page.click("#new-point button[type=submit]")
        code = await page.inner_text("#point-code")
        assert len(code) == 6
        assert await page.get_attribute("#deep-link", "href") == (
            f"https://t.me/holos_test_bot?start=fp_{code}"
        )
        assert await page.get_attribute("#web-link", "href") == (
            f"http://holos.example.org/r/{code}"
        )
        assert await page.get_attribute("#to-poster", "href") == (
            f"/console/feedback-points/{code}/poster"
        )
        assert await console.axe(page) == []
        await page.goto(console.url("/console/feedback-points"))
        assert code in await page.inner_text(".feedback-points")
        assert await console.axe(page) == []

    console.run(scenario())
