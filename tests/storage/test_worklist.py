from __future__ import annotations

from datetime import timedelta

import pytest

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import Language, Status
from storage.errors import InvalidCursor, InvalidSort, PermissionDenied
from storage.repositories.filters import CaseFilter
from storage.services.intake import IntakeService
from storage.services.triage import CaseChanges, TriageService
from storage.services.worklist import Worklist
from tests.storage.helpers import make_staff, submit, tampered_cursor


async def page(core: Core, actor: Actor, flt: CaseFilter | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    async with core.database.transaction() as session:
        return await Worklist(session, core).page(actor, flt or CaseFilter(), **kwargs)  # type: ignore[arg-type]


async def refs(
    core: Core, actor: Actor, flt: CaseFilter | None = None, **kwargs: object
) -> list[str]:
    return [c.ref for c in (await page(core, actor, flt, **kwargs)).items]


@pytest.fixture
async def people(core: Core) -> dict[str, Actor]:
    return {
        "operator": await make_staff(core, "oper", "operator"),
        "focal": await make_staff(core, "focal", "focal_point"),
        "analyst": await make_staff(core, "anna", "analyst"),
    }


async def test_sensitive_cases_are_neither_listed_nor_counted_for_operators(
    core: Core, people: dict[str, Actor]
) -> None:
    standard = await submit(core)
    sensitive = await submit(core, category="sexual_exploitation", narrative="домагання")
    op_page = await page(core, people["operator"])
    assert [c.ref for c in op_page.items] == [standard.ref] and op_page.total == 1
    fp_page = await page(core, people["focal"])
    assert {c.ref for c in fp_page.items} == {standard.ref, sensitive.ref} and fp_page.total == 2
    # Asking for sensitive ones explicitly changes nothing for an operator.
    assert await refs(core, people["operator"], CaseFilter(sensitive=True)) == []
    with pytest.raises(PermissionDenied):
        await page(core, people["analyst"])


async def test_filters(core: Core, people: dict[str, Actor], clock: FrozenClock) -> None:
    op = people["operator"]
    a = await submit(core, oblast="UA-46", programme="cash", language=Language.RU)
    clock.advance(timedelta(days=1))
    b = await submit(core, category="staff_conduct", oblast="UA-63", programme="food")
    clock.advance(timedelta(days=1))
    c = await submit(
        core, category="suggestion", oblast="abroad", programme=None, language=Language.EN
    )
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        case_b = await service.get_visible(b.ref, op)
        await service.update(
            b.ref,
            op,
            expected_version=case_b.version,
            changes=CaseChanges(
                status=Status.ACKNOWLEDGED,
                set_assignee=True,
                assignee_id=op.user_id,
                tags=["cash", "urgent-call"],
            ),
        )
    assert await refs(core, op, CaseFilter(oblasts=["UA-46"])) == [a.ref]
    assert await refs(core, op, CaseFilter(programmes=["food"])) == [b.ref]
    assert await refs(core, op, CaseFilter(languages=["en"])) == [c.ref]
    assert await refs(
        core, op, CaseFilter(categories=["staff_conduct", "suggestion"]), sort="created"
    ) == [b.ref, c.ref]
    assert await refs(core, op, CaseFilter(priorities=["high"])) == [b.ref]
    assert await refs(core, op, CaseFilter(statuses=["acknowledged"])) == [b.ref]
    assert await refs(core, op, CaseFilter(assignee_id=op.user_id)) == [b.ref]
    assert await refs(core, op, CaseFilter(unassigned=True), sort="created") == [a.ref, c.ref]
    assert await refs(core, op, CaseFilter(tags=["cash", "urgent-call"])) == [b.ref]
    assert await refs(core, op, CaseFilter(tags=["cash", "other"])) == []
    start = (await page(core, op, CaseFilter(), sort="created")).items[0].created_at
    assert await refs(
        core,
        op,
        CaseFilter(
            created_from=start + timedelta(hours=1), created_to=start + timedelta(days=1, hours=1)
        ),
    ) == [b.ref]


async def test_overdue(core: Core, people: dict[str, Actor], clock: FrozenClock) -> None:
    op = people["operator"]
    slow = await submit(core)  # acknowledge within 72 h
    clock.advance(timedelta(hours=73))
    fresh = await submit(core)
    assert await refs(core, op, CaseFilter(overdue=True)) == [slow.ref]
    assert await refs(core, op, CaseFilter(overdue=False)) == [fresh.ref]
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        case = await service.get_visible(slow.ref, op)
        await service.update(
            slow.ref,
            op,
            expected_version=case.version,
            changes=CaseChanges(status=Status.ACKNOWLEDGED),
        )
    # Acknowledged late, but within the 30-day resolution SLA: not overdue any more.
    assert await refs(core, op, CaseFilter(overdue=True)) == []
    clock.advance(timedelta(days=30))
    assert set(await refs(core, op, CaseFilter(overdue=True))) == {slow.ref, fresh.ref}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("скарг", {"uk", "addition"}),  # a prefix: скарга, and скарги in the addition
        ("СКАРГА", {"uk", "addition"}),  # by lemma: скарги is a form of скарга
        ("Очередь", {"ru"}),
        ("queue", {"en"}),
        ("queue distribution", {"en"}),
        ("queue nonsense", set()),
        ("додаток", {"addition"}),  # reporters' additions are searched too
        ("хабар", set()),  # sensitive: invisible to an operator
        ('"); DROP TABLE cases; --', set()),
        ("* OR NEAR AND", set()),
    ],
)
async def test_text_search_for_an_operator(
    core: Core, people: dict[str, Actor], query: str, expected: set[str]
) -> None:
    made = {
        "uk": await submit(core, narrative="Скарга на роздачу води"),
        "ru": await submit(core, narrative="Длинная очередь на пункте", language=Language.RU),
        "en": await submit(
            core, narrative="Long queue at the distribution point", language=Language.EN
        ),
        "addition": await submit(core, narrative="Перше повідомлення"),
        "sensitive": await submit(core, category="fraud_corruption", narrative="Вимагали хабар"),
    }
    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(
            made["addition"].ref, people["operator"]
        )
        await IntakeService(session, core).add_reporter_info(case.id, text="Ось додаток до скарги")
    found = set(await refs(core, people["operator"], query=query))
    names = {name for name, s in made.items() if s.ref in found}
    assert names == expected


async def test_focal_points_search_sensitive_text_through_its_blind_index(
    core: Core, people: dict[str, Actor]
) -> None:
    sensitive = await submit(
        core, category="fraud_corruption", narrative="Вимагали хабар за список"
    )
    other = await submit(core, category="trafficking", narrative="Робота без оплати")
    async with core.database.transaction() as session:
        await IntakeService(session, core).add_reporter_info(
            (await TriageService(session, core).get_visible(other.ref, people["focal"])).id,
            text="Забрали паспорт",
        )
    assert await refs(core, people["focal"], query="хабар") == [sensitive.ref]
    assert await refs(core, people["focal"], query="паспорт") == [other.ref]
    assert await refs(core, people["focal"], query="хабар паспорт") == []
    assert await refs(core, people["operator"], query="хабар") == []


async def test_cursor_pages_are_stable_and_complete(
    core: Core, people: dict[str, Actor], clock: FrozenClock
) -> None:
    made = []
    for i in range(23):
        made.append((await submit(core, category="suggestion" if i % 3 else "staff_conduct")).ref)
        if i % 2:
            clock.advance(timedelta(minutes=1))  # some share a timestamp: ties broken by id
    for sort in ("created", "-created", "updated", "-updated", "due", "priority"):
        seen: list[str] = []
        cursor = None
        while True:
            result = await page(core, people["operator"], sort=sort, cursor=cursor, limit=5)
            seen.extend(c.ref for c in result.items)
            assert result.total == 23
            cursor = result.next_cursor
            if cursor is None:
                break
            # A case filed meanwhile does not shift what comes next.
        assert sorted(seen) == sorted(made) and len(seen) == 23, sort
    newest_first = await refs(core, people["operator"], sort="-created", limit=50)
    assert newest_first == list(reversed(made))
    by_priority = await refs(core, people["operator"], sort="priority", limit=50)
    assert by_priority[: len(made[::3])] == made[::3]  # staff_conduct (high) first, oldest first


async def test_tampered_or_foreign_cursors_are_refused(
    core: Core, people: dict[str, Actor]
) -> None:
    for _ in range(3):
        await submit(core)
    first = await page(core, people["operator"], limit=1)
    assert first.next_cursor
    tampered = tampered_cursor(first.next_cursor)
    for bad in (tampered, "garbage", "", "%%%"):
        if not bad:
            continue
        with pytest.raises(InvalidCursor):
            await page(core, people["operator"], cursor=bad, limit=1)
    # A cursor from another query (other filters) is refused too.
    with pytest.raises(InvalidCursor):
        await page(
            core,
            people["operator"],
            CaseFilter(languages=["uk"]),
            cursor=first.next_cursor,
            limit=1,
        )
    with pytest.raises(InvalidSort):
        await page(core, people["operator"], sort="narrative")
