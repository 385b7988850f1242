"""The worklist's own refresh and markers over HTTP, on both engines (issue 21 §3), and
the case page's reclassification form (§1, §6): what the browser test walks, here with
the clock moved and every answer read."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from storage.access import Actor
from storage.clock import FrozenClock
from storage.models import ConsoleSession
from storage.services.console import IDLE, TOUCH_EVERY
from storage.services.intake import IntakeService
from storage.services.triage import CaseChanges, TriageService
from tests.console.http_client import ServedConsole, alert_of, csrf_of
from tests.console.test_read_only_pages import signed_in
from tests.storage.helpers import make_staff, submit

HX = {"HX-Request": "true"}


def poll_url(page: str) -> str:
    found = re.search(r'id="poller"[^>]*hx-get="([^"]+)"', page, re.S)
    assert found, "no poller on the page"
    return found.group(1).replace("&amp;", "&")


async def last_seen(served: ServedConsole) -> object:
    async with served.core.database.transaction() as session:
        return await session.scalar(select(ConsoleSession.last_seen_at))


async def add_info(served: ServedConsole, ref: str, text: str) -> None:
    core = served.core
    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(
            ref, Actor.staff(0, "system", "focal_point"), audit_read=False
        )
        await IntakeService(session, core).add_reporter_info(case.id, text=text)


async def test_the_refresh_keeps_filters_and_never_extends_the_session(
    served: ServedConsole, clock: FrozenClock
) -> None:
    core = served.core
    await make_staff(core, "olena", "operator")
    conduct = await submit(core, category="staff_conduct", narrative="Кричав у черзі")
    other = await submit(core, narrative="Видали менше продуктів")
    browser = await signed_in(served, "olena")
    page = await browser.get("/console/cases?category=staff_conduct&q=черзі")
    assert page.status_code == 200
    url = poll_url(page.text)
    assert "category=staff_conduct" in url and "fragment=poll" in url and "shown=1" in url

    await add_info(served, conduct.ref, "Ще й штовхав")
    before = await last_seen(served)
    clock.advance(TOUCH_EVERY + timedelta(seconds=5))
    refreshed = await browser.get(url, **HX)
    assert refreshed.status_code == 200
    body = refreshed.text
    assert conduct.ref in body and other.ref not in body  # the filter held
    assert "has-news" in body and "the reporter added information" in body
    assert 'id="tabs" hx-swap-oob="true"' in body and "1 new" in body
    assert 'id="poller" hidden hx-swap-oob="true"' in body
    # The refresh is not the person: the session's last use did not move.
    assert await last_seen(served) == before

    # Only refreshes for longer than the idle time: the session ends, and the refresh
    # sends the whole page to sign-in (back to the list, not to the fragment).
    for _ in range(int(IDLE / timedelta(minutes=1)) + 1):
        clock.advance(timedelta(minutes=1))
        answer = await browser.get(url, **HX)
        if answer.status_code != 200:
            break
    assert answer.status_code == 204
    target = answer.headers["HX-Redirect"]
    assert target.startswith("/console/sign-in?next=") and "expired=1" in target
    assert "fragment" not in target and "shown" not in target
    assert (await browser.get("/console/cases")).status_code in (303, 401)


async def test_opening_a_case_clears_its_marker(served: ServedConsole) -> None:
    core = served.core
    olena = await make_staff(core, "olena", "operator")
    petro = await make_staff(core, "petro", "operator")
    made = await submit(core)
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            made.ref,
            petro,
            expected_version=None,
            changes=CaseChanges(set_assignee=True, assignee_id=olena.user_id),
        )
    browser = await signed_in(served, "olena")
    listed = await browser.get("/console/cases")
    assert "assigned to you" in listed.text and "1 new" in listed.text
    assert (await browser.get(f"/console/cases/{made.ref}")).status_code == 200
    listed = await browser.get("/console/cases")
    assert "has-news" not in listed.text and "1 new" not in listed.text


async def test_reclassifying_from_the_case_page(served: ServedConsole) -> None:
    core = served.core
    await make_staff(core, "olena", "operator")
    petro = await make_staff(core, "petro", "operator")
    made = await submit(core, category="staff_conduct", narrative="Просив фото доньки")
    browser = await signed_in(served, "olena")
    page = await browser.get(f"/console/cases/{made.ref}")
    options = re.findall(r'<option value="([a-z_]+)">', page.text.split('id="f-category"')[1])
    # An operator's one move: into the sealed channel.
    assert options[:3] == ["fraud_corruption", "sexual_exploitation", "trafficking"]
    form = {
        "csrf": csrf_of(page.text),
        "version": re.search(r'name="version" value="(\d+)"', page.text).group(1),  # type: ignore[union-attr]
        "seen": "0",
        "category": "sexual_exploitation",
        "note": "Дитина, схоже на сексуальну експлуатацію",
    }
    # A colleague changes the case meanwhile: the move is not saved, and says why.
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            made.ref, petro, expected_version=None, changes=CaseChanges(tags=["urgent-call"])
        )
    stale = await browser.post(f"/console/cases/{made.ref}/reclassify", form)
    assert stale.status_code == 409
    assert "This case changed while you were reading" in stale.text
    assert "Category: Sexual exploitation" in stale.text
    # Again on the fresh page: done, and the case is gone for her.
    form["version"] = re.search(r'name="version" value="(\d+)"', stale.text).group(1)  # type: ignore[union-attr]
    form["csrf"] = csrf_of(stale.text)
    moved = await browser.post(f"/console/cases/{made.ref}/reclassify", form)
    assert moved.status_code == 303 and moved.headers["location"] == "/console/cases?moved=sealed"
    listed = await browser.get(moved.headers["location"])
    assert "now in the sealed channel" in listed.text and made.ref not in listed.text
    assert (await browser.get(f"/console/cases/{made.ref}")).status_code == 404
    searched = await browser.get("/console/cases?q=доньки")
    assert made.ref not in searched.text and "0 cases" in searched.text
    # A refusal that is the form's: an empty category.
    other = await submit(core, category="staff_conduct")
    page = await browser.get(f"/console/cases/{other.ref}")
    form.update(csrf=csrf_of(page.text), version="1", category="")
    refused = await browser.post(f"/console/cases/{other.ref}/reclassify", form)
    assert refused.status_code == 409 and alert_of(refused.text)


async def test_the_refresh_keeps_the_rows_a_more_link_added(served: ServedConsole) -> None:
    core = served.core
    await make_staff(core, "olena", "operator")
    for i in range(30):
        await submit(core, narrative=f"Видали менше продуктів ({i})")
    browser = await signed_in(served, "olena")
    page = await browser.get("/console/cases")
    assert page.text.count('class="case-row') == 25 and "shown=25" in poll_url(page.text)
    more = re.search(r'class="more"[^>]*hx-get="([^"]+)"', page.text)
    assert more is not None
    # Relative to the list, as the browser resolves it.
    added = await browser.get("/console/cases" + more.group(1).replace("&amp;", "&"), **HX)
    assert added.text.count('class="case-row') == 5
    # The page's refresh now asks for all 30 rows, and gets them.
    url = poll_url(added.text)
    assert "shown=30" in url
    refreshed = await browser.get(url, **HX)
    assert refreshed.text.count('class="case-row') == 30
