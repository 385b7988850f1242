"""Bulk changes from a worklist selection: each case on its own, with its version and its
own audit event; a case changed meanwhile is named and left alone, the others go through."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.access import Actor
from storage.core import Core
from storage.enums import Priority, Status
from storage.errors import InvalidInput, InvalidTag, PermissionDenied
from storage.models import AuditEvent, Case
from storage.services.bulk import (
    BulkAction,
    BulkChange,
    BulkResult,
    BulkTriage,
    Outcome,
    Selected,
)
from storage.services.triage import CaseChanges, TriageService
from tests.storage.helpers import make_staff, submit


@pytest.fixture
async def people(core: Core) -> dict[str, Actor]:
    return {
        "operator": await make_staff(core, "oper", "operator"),
        "other": await make_staff(core, "olha", "operator"),
        "focal": await make_staff(core, "focal", "focal_point"),
        "analyst": await make_staff(core, "anna", "analyst"),
    }


async def bulk(
    core: Core, actor: Actor, selected: list[Selected], change: BulkChange
) -> BulkResult:
    async with core.database.transaction() as session:
        return await BulkTriage(session, core).apply(actor, selected, change)


async def stored(core: Core, ref: str) -> Case:
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        return case


async def updates_of(core: Core, ref: str) -> list[AuditEvent]:
    async with core.database.transaction() as session:
        stmt = select(AuditEvent).where(
            AuditEvent.case_ref == ref, AuditEvent.action == "case.updated"
        )
        return list((await session.scalars(stmt)).all())


async def test_acknowledge_five_one_changed_meanwhile(core: Core, people: dict[str, Actor]) -> None:
    cases = [await submit(core) for _ in range(5)]
    shown = [Selected(c.ref, 1) for c in cases]
    # A colleague raises the priority of the third after the list was drawn.
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            cases[2].ref,
            people["other"],
            expected_version=1,
            changes=CaseChanges(priority=Priority.HIGH),
        )
    result = await bulk(core, people["operator"], shown, BulkChange(BulkAction.ACKNOWLEDGE))
    assert result.stale == [cases[2].ref]
    assert result.changed == [c.ref for i, c in enumerate(cases) if i != 2]
    for i, c in enumerate(cases):
        case = await stored(core, c.ref)
        events = await updates_of(core, c.ref)
        if i == 2:
            assert case.status is Status.NEW and case.priority is Priority.HIGH
            assert [e.actor_id for e in events] == [people["other"].user_id]
        else:
            assert case.status is Status.ACKNOWLEDGED and case.version == 2
            assert case.acknowledged_at is not None
            # One event per case, in the operator's name.
            assert [(e.actor_id, e.after) for e in events] == [
                (people["operator"].user_id, {"status": "acknowledged"})
            ]
    assert {i.version for i in result.items if i.outcome is Outcome.CHANGED} == {2}


async def test_assign_priority_and_tag(core: Core, people: dict[str, Actor]) -> None:
    a = await submit(core)
    b = await submit(core)
    async with core.database.transaction() as session:
        await TriageService(session, core).update(
            b.ref, people["focal"], expected_version=1, changes=CaseChanges(tags=["food"])
        )
    other = people["other"].user_id
    result = await bulk(
        core,
        people["operator"],
        [Selected(a.ref, 1), Selected(b.ref, 2)],
        BulkChange(BulkAction.ASSIGN, assignee_id=other),
    )
    assert result.changed == [a.ref, b.ref]
    result = await bulk(
        core,
        people["operator"],
        [Selected(a.ref, 2), Selected(b.ref, 3)],
        BulkChange(BulkAction.TAG, tag=" Water "),
    )
    assert result.changed == [a.ref, b.ref]
    assert [t.tag for t in (await stored(core, b.ref)).tags] == ["food", "water"]
    assert [t.tag for t in (await stored(core, a.ref)).tags] == ["water"]
    result = await bulk(
        core,
        people["operator"],
        [Selected(a.ref, 3), Selected(b.ref, 4)],
        BulkChange(BulkAction.PRIORITY, priority=Priority.URGENT),
    )
    assert result.changed == [a.ref, b.ref]
    for ref, version in ((a.ref, 4), (b.ref, 5)):
        case = await stored(core, ref)
        assert (case.assignee_id, case.priority, case.version) == (other, Priority.URGENT, version)
    # The same again changes nothing and says so.
    result = await bulk(
        core,
        people["operator"],
        [Selected(a.ref, 4)],
        BulkChange(BulkAction.PRIORITY, priority=Priority.URGENT),
    )
    assert [i.outcome for i in result.items] == [Outcome.UNCHANGED]


async def test_refusals_are_per_case(core: Core, people: dict[str, Actor]) -> None:
    new = await submit(core)
    working = await submit(core)
    sealed = await submit(core, category="sexual_exploitation", narrative="домагання")
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        await service.update(
            working.ref,
            people["operator"],
            expected_version=1,
            changes=CaseChanges(status=Status.ACKNOWLEDGED),
        )
        await service.update(
            working.ref,
            people["operator"],
            expected_version=2,
            changes=CaseChanges(status=Status.IN_PROGRESS),
        )
    result = await bulk(
        core,
        people["operator"],
        [
            Selected(new.ref, 1),
            Selected(working.ref, 3),
            Selected(sealed.ref, 1),
            Selected("HL-0000-0000-0", 1),
        ],
        BulkChange(BulkAction.ACKNOWLEDGE),
    )
    assert result.changed == [new.ref]
    refused = {i.ref: i.code for i in result.refused}
    # A sealed case is refused exactly as one that does not exist: no hint.
    assert refused == {
        working.ref: "illegal_transition",
        sealed.ref: "case_not_found",
        "HL-0000-0000-0": "case_not_found",
    }
    # An assignee who may not see a sealed case is refused for it only.
    result = await bulk(
        core,
        people["focal"],
        [Selected(sealed.ref, 1), Selected(new.ref, 2)],
        BulkChange(BulkAction.ASSIGN, assignee_id=people["operator"].user_id),
    )
    assert result.changed == [new.ref]
    assert [(i.ref, i.code) for i in result.refused] == [(sealed.ref, "assignee_cannot_see_case")]
    assert (await stored(core, sealed.ref)).assignee_id is None


async def test_bad_requests_change_nothing(core: Core, people: dict[str, Actor]) -> None:
    case = await submit(core)
    one = [Selected(case.ref, 1)]
    with pytest.raises(InvalidTag):
        await bulk(core, people["operator"], one, BulkChange(BulkAction.TAG, tag="no spaces"))
    with pytest.raises(InvalidInput):
        await bulk(core, people["operator"], one, BulkChange(BulkAction.TAG, tag="  "))
    with pytest.raises(InvalidInput):
        await bulk(core, people["operator"], one, BulkChange(BulkAction.PRIORITY))
    with pytest.raises(InvalidInput):
        await bulk(core, people["operator"], [], BulkChange(BulkAction.ACKNOWLEDGE))
    with pytest.raises(InvalidInput):
        await bulk(core, people["operator"], one * 201, BulkChange(BulkAction.ACKNOWLEDGE))
    with pytest.raises(PermissionDenied):
        await bulk(core, people["analyst"], one, BulkChange(BulkAction.ACKNOWLEDGE))
    assert (await stored(core, case.ref)).version == 1
