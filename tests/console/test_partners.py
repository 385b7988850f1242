"""The partners page (issue 22): administrators keep the list; nobody else opens it; a
name already there or an empty one is refused on the page, with what was typed kept."""

from __future__ import annotations

from storage.models import AuditEvent
from storage.services.outcomes import PartnerService
from tests.console.http_client import ServedConsole, alert_of, csrf_of
from tests.storage.helpers import make_staff, otp


async def test_only_administrators_keep_the_partners(served: ServedConsole) -> None:
    core = served.core
    await make_staff(core, "olena", "operator")
    await make_staff(core, "boss", "admin")
    operator = await served.browser()
    assert (await operator.password("olena")).status_code == 303
    refused = await operator.get("/console/partners")
    assert refused.status_code == 403 and "<html" in refused.text
    admin = await served.browser()
    assert (await admin.password("boss")).status_code == 303
    await admin.step()
    code = await otp(core, "boss")
    assert code is not None and (await admin.code(code)).status_code == 303

    page = await admin.get("/console/partners")
    assert page.status_code == 200
    added = await admin.post(
        "/console/partners",
        {"name": "Служба у справах дітей", "child_protection": "1", "csrf": csrf_of(page.text)},
    )
    assert added.status_code == 303
    page = await admin.get("/console/partners")
    again = await admin.post(
        "/console/partners", {"name": "Служба у справах дітей", "csrf": csrf_of(page.text)}
    )
    assert again.status_code == 422
    assert alert_of(again.text) == "A partner of that name is already in the list."
    empty = await admin.post("/console/partners", {"name": "  ", "csrf": csrf_of(page.text)})
    assert empty.status_code == 422
    async with core.database.transaction() as session:
        (partner,) = await PartnerService(session, core).list()
    assert partner.child_protection and partner.active
    retired = await admin.post(
        f"/console/partners/{partner.id}", {"active": "0", "csrf": csrf_of(page.text)}
    )
    assert retired.status_code == 200 and "Saved." in retired.text
    async with core.database.transaction() as session:
        (partner,) = await PartnerService(session, core).list()
        events = await session.scalars(
            AuditEvent.__table__.select()
            .with_only_columns(AuditEvent.action)
            .where(AuditEvent.target == f"partner:{partner.id}")
        )
        assert list(events) == ["partner.created", "partner.updated"]
    assert not partner.active
