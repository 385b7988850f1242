"""The alerts part of the account page, over HTTP on both engines: choices saved and
shown, bad input refused with the form kept, a bouncing address shown, the one-time
Telegram link offered, and sealed-case alerts fixed on for focal points."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storage.core import Core
from storage.services.alerts import AlertService
from storage.settings import Settings
from tests.alerts.helpers import alert_rows
from tests.config import make_settings
from tests.console.http_client import Browser, ServedConsole, alert_of, csrf_of
from tests.storage.helpers import make_staff, otp, submit

NARRATIVE = "Він вимагав секс за продуктовий набір."


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Mail "sent" to the sandbox's sink: these tests look at what is queued, not sent.
    return make_settings(tmp_path, database_url, mail_sink=True)


async def signed_in(served: ServedConsole, username: str) -> Browser:
    browser = await served.browser()
    assert (await browser.password(username)).status_code == 303
    code = await otp(served.core, username)
    if code is not None:
        await browser.step()
        assert (await browser.code(code)).status_code == 303
    return browser


async def save(browser: Browser, **fields: str | list[str]) -> str:
    page = await browser.get("/console/password")
    data: dict[str, str | list[str]] = {"csrf": csrf_of(page.text), **fields}
    response = await browser.http.post(
        "/console/alerts",
        data=data,
        headers={"Accept-Language": "en"},
    )
    browser.last_page = response.text
    return f"{response.status_code}"


async def test_an_operator_chooses_channels_events_and_days_away(served: ServedConsole) -> None:
    await make_staff(served.core, "oper", "operator")
    browser = await signed_in(served, "oper")
    page = (await browser.get("/console/password")).text
    assert 'id="alerts"' in page
    assert 'value="sealed_case"' not in page  # operators never see sealed reports

    status = await save(
        browser,
        email="oper@example.org",
        email_on="1",
        events=["overdue", "digest"],
        away_from="2026-03-10",
        away_until="2026-03-12",
    )
    assert status == "200", browser.last_page
    assert "Your alert settings are saved." in browser.last_page
    page = (await browser.get("/console/password")).text
    assert 'value="oper@example.org"' in page
    assert re.search(r'value="overdue" checked', page)
    assert not re.search(r'value="reporter_added" checked', page)
    assert 'value="2026-03-10"' in page and 'value="2026-03-12"' in page
    assert not re.search(r'name="telegram_on" value="1" checked', page)


async def test_bad_alert_settings_are_refused_and_the_form_kept(served: ServedConsole) -> None:
    await make_staff(served.core, "oper", "operator")
    browser = await signed_in(served, "oper")
    assert await save(browser, email="not an address", email_on="1") == "422"
    assert alert_of(browser.last_page) == "This is not an e-mail address."
    assert 'value="not an address"' in browser.last_page
    assert (
        await save(browser, email="o@example.org", away_from="2026-03-12", away_until="2026-03-10")
        == "422"
    )
    assert alert_of(browser.last_page) == "The last day away is before the first."
    assert await save(browser, email="o@example.org", away_from="12.03.2026") == "422"
    assert alert_of(browser.last_page) == "A date away is not a date."
    # Nothing was saved.
    assert 'value="o@example.org"' not in (await browser.get("/console/password")).text


async def test_a_focal_point_cannot_turn_off_sealed_case_alerts(served: ServedConsole) -> None:
    core = served.core
    await make_staff(core, "fpoint", "focal_point")
    browser = await signed_in(served, "fpoint")
    page = (await browser.get("/console/password")).text
    assert re.search(r'value="sealed_case" checked disabled', page)
    # A form sent without it (or forged) still leaves the focal point alerted.
    assert await save(browser, email="fp@example.org", email_on="1", events=[]) == "200"
    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    assert [r.event for r in await alert_rows(core)] == ["sealed_case"]


async def test_a_bouncing_address_is_shown_on_the_account_page(served: ServedConsole) -> None:
    core: Core = served.core
    await make_staff(core, "fpoint", "focal_point")
    browser = await signed_in(served, "fpoint")
    assert await save(browser, email="gone@example.org", email_on="1") == "200"
    assert 'id="bounced"' not in browser.last_page
    await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    service = AlertService(core)
    async with core.database.transaction() as session:
        [claimed] = await service.claim(session)
    async with core.database.transaction() as session:
        await service.mark_bounced(session, claimed.alert_id, error="recipient refused: 550")
    page = (await browser.get("/console/password")).text
    assert 'id="bounced"' in page and "came back" in page
    # Saved again (corrected), the mark goes.
    assert await save(browser, email="fp@example.org", email_on="1") == "200"
    assert 'id="bounced"' not in browser.last_page


async def test_a_one_time_telegram_link_is_offered(served: ServedConsole) -> None:
    core = served.core
    core.bot_username = "holos_test_bot"
    await make_staff(core, "oper", "operator")
    browser = await signed_in(served, "oper")
    page = (await browser.get("/console/password")).text
    linked = await browser.post("/console/alerts/telegram", {"csrf": csrf_of(page)})
    assert linked.status_code == 200
    found = re.search(
        r'id="telegram-link" href="(https://t\.me/holos_test_bot\?start=staff_[\w-]+)"', linked.text
    )
    assert found, linked.text
    # A fresh one each time; the earlier stops working (checked in the bot's tests).
    again = await browser.post("/console/alerts/telegram", {"csrf": csrf_of(linked.text)})
    assert found.group(1) not in again.text


async def test_roles_without_cases_have_no_alerts(served: ServedConsole) -> None:
    await make_staff(served.core, "numbers", "analyst")
    browser = await signed_in(served, "numbers")
    page = (await browser.get("/console/password")).text
    assert 'id="alerts"' not in page
    refused = await browser.post(
        "/console/alerts", {"csrf": csrf_of(page), "email": "a@example.org"}
    )
    assert refused.status_code == 403
