"""Reading the audit log: who may read which events, filters, and pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.errors import InvalidCursor, PermissionDenied
from storage.services.audit_trail import AuditPage, AuditQuery, AuditTrail
from storage.services.triage import TriageService
from tests.storage.helpers import make_staff, submit, tampered_cursor


async def page(
    core: Core, actor: Actor, query: AuditQuery | None = None, **kw: object
) -> AuditPage:
    async with core.database.transaction() as session:
        return await AuditTrail(session, core).page(actor, query or AuditQuery(), **kw)  # type: ignore[arg-type]


async def test_who_reads_what(core: Core, clock: FrozenClock) -> None:
    admin = await make_staff(core, "root-admin", "admin")
    focal = await make_staff(core, "focal", "focal_point")
    operator = await make_staff(core, "oper", "operator")
    analyst = await make_staff(core, "anna", "analyst")
    standard = await submit(core)
    sensitive = await submit(core, category="trafficking", narrative="паспорт")
    async with core.database.transaction() as session:
        await TriageService(session, core).get_visible(sensitive.ref, focal)  # a recorded read

    everything = (await page(core, admin, limit=200)).items
    actions = [e.action for e in everything]
    assert actions.count("user.created") == 4 and "case.read" in actions
    assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
    sealed = (await page(core, focal, limit=200)).items
    assert sealed and all(e.sensitive for e in sealed)
    assert {e.id for e in sealed} == {e.id for e in everything if e.sensitive}
    assert {e.case_ref for e in sealed} == {sensitive.ref}
    for refused in (operator, analyst, Actor.reporter()):
        with pytest.raises(PermissionDenied):
            await page(core, refused)
    # A standard case's events are not a focal point's to read, even asked for by ref.
    assert (await page(core, focal, AuditQuery(case_ref=standard.ref))).items == []
    assert (await page(core, admin, AuditQuery(case_ref="HL-2026-999999"))).items == []


async def test_filters_and_pages(core: Core, clock: FrozenClock) -> None:
    admin = await make_staff(core, "root-admin", "admin")
    focal = await make_staff(core, "focal", "focal_point")
    start = clock.now()
    refs = []
    for _ in range(5):
        clock.advance(timedelta(minutes=1))
        refs.append((await submit(core, category="fraud_corruption", narrative="x")).ref)
    async with core.database.transaction() as session:
        await TriageService(session, core).get_visible(refs[0], focal)

    by_case = (await page(core, admin, AuditQuery(case_ref=refs[0]))).items
    assert [e.action for e in by_case] == ["case.read", "case.created"]
    assert [
        e.action for e in (await page(core, admin, AuditQuery(actor_id=focal.user_id))).items
    ] == ["case.read"]
    created = (await page(core, admin, AuditQuery(actions=("case.created", "case.read")))).items
    assert len(created) == 6
    window = AuditQuery(since=start + timedelta(minutes=2), until=start + timedelta(minutes=4))
    assert {e.case_ref for e in (await page(core, admin, window)).items} == set(refs[1:3])

    seen = []
    cursor = None
    while True:
        result = await page(core, focal, cursor=cursor, limit=2)
        seen += [e.id for e in result.items]
        cursor = result.next_cursor
        if cursor is None:
            break
    assert seen == [e.id for e in (await page(core, focal, limit=200)).items] and len(seen) == 6


async def test_cursors_cannot_be_forged_or_reused_elsewhere(core: Core) -> None:
    admin = await make_staff(core, "root-admin", "admin")
    focal = await make_staff(core, "focal", "focal_point")
    for _ in range(3):
        await submit(core, category="fraud_corruption", narrative="x")
    cursor = (await page(core, admin, limit=1)).next_cursor
    assert cursor
    tampered = tampered_cursor(cursor)
    for bad in (tampered, "garbage", "%%%", "Zm9v"):
        with pytest.raises(InvalidCursor):
            await page(core, admin, cursor=bad, limit=1)
    with pytest.raises(InvalidCursor):  # another query
        await page(core, admin, AuditQuery(actions=("case.created",)), cursor=cursor, limit=1)
    with pytest.raises(InvalidCursor):  # another reader's view of the log
        await page(core, focal, cursor=cursor, limit=1)
