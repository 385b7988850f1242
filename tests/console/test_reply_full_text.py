"""The case page's choice of how a sealed case's replies reach the reporter's chat
(issue 21), over HTTP on SQLite and PostgreSQL: offered on sealed cases only, saved and
audited through the triage form, and left alone by a save that does not carry it."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.enums import ContactMode, Priority
from storage.models import AuditEvent, Case
from storage.services.intake import ContactChoice
from tests.console.http_client import Browser, ServedConsole, csrf_of
from tests.console.test_new_case_http import signed_in
from tests.storage.helpers import submit

CHAT = ContactChoice(ContactMode.CHAT, chat_id=777000222)
_VERSION = re.compile(r'name="version" value="(\d+)"')
_SEEN = re.compile(r'name="seen" value="(\d+)"')


async def case_row(served: ServedConsole, ref: str) -> Case:
    async with served.core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        return case


async def save_triage(browser: Browser, ref: str, **extra: str) -> None:
    page = (await browser.get(f"/console/cases/{ref}")).text
    form = {
        "csrf": csrf_of(page),
        "version": _VERSION.search(page).group(1),  # type: ignore[union-attr]
        "seen": _SEEN.search(page).group(1),  # type: ignore[union-attr]
        "details": "1",
        "priority": Priority.HIGH.value,
        "assignee": "",
        "tags": "",
        **extra,
    }
    response = await browser.post(f"/console/cases/{ref}/triage", form)
    assert response.status_code == 303, response.text


async def test_a_focal_point_chooses_full_text_on_the_case_page(served: ServedConsole) -> None:
    focal = await signed_in(served, "maria", "focal_point")
    ref = (await submit(served.core, category="sexual_exploitation", contact=CHAT)).ref
    page = (await focal.get(f"/console/cases/{ref}")).text
    assert 'id="f-full-text"' in page
    assert 'name="full_text" value="0" checked' in page
    assert "Their chat gets only a neutral notice" in page

    await save_triage(focal, ref, full_text="1")
    assert (await case_row(served, ref)).reply_full_text is True
    page = (await focal.get(f"/console/cases/{ref}")).text
    assert 'name="full_text" value="1" checked' in page
    assert "Their chat gets only a neutral notice" not in page
    # A save without the field (another form, an old page) leaves the choice as it is.
    await save_triage(focal, ref)
    assert (await case_row(served, ref)).reply_full_text is True
    await save_triage(focal, ref, full_text="0")
    assert (await case_row(served, ref)).reply_full_text is False

    async with served.core.database.transaction() as session:
        events = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
    changes = [(e.after or {}).get("reply_full_text") for e in events]
    changes = [c for c in changes if c is not None]
    assert changes == [True, False]


async def test_a_standard_case_page_does_not_offer_it(served: ServedConsole) -> None:
    operator = await signed_in(served, "olena", "operator")
    ref = (await submit(served.core, contact=CHAT)).ref
    page = (await operator.get(f"/console/cases/{ref}")).text
    assert 'id="f-full-text"' not in page
