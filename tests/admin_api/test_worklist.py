"""The worklist over HTTP: filters, search, "mine" and "unassigned", sorting, pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from storage.access import Actor
from storage.clock import FrozenClock
from storage.enums import Language, Status
from storage.services.intake import IntakeService
from storage.services.triage import CaseChanges, TriageService
from tests.admin_api.helpers import Api
from tests.storage.helpers import submit

CASES = "/api/v1/cases"


async def change(api: Api, ref: str, actor: Actor, **changes: Any) -> None:
    async with api.core.database.transaction() as session:
        service = TriageService(session, api.core)
        case = await service.get_visible(ref, actor, audit_read=False)
        await service.update(
            ref, actor, expected_version=case.version, changes=CaseChanges(**changes)
        )


async def refs(api: Api, who: str = "operator", **params: Any) -> list[str]:
    response = await api.call("GET", CASES, who, params={"sort": "created", **params})
    assert response.status_code == 200, response.text
    return [item["ref"] for item in response.json()["items"]]


async def test_filters(staffed: Api, clock: FrozenClock) -> None:
    api = staffed
    operator = api.actors["operator"]
    focal = api.actors["focal_point"]
    a = await submit(api.core, oblast="UA-46", programme="cash", language=Language.RU)
    clock.advance(timedelta(hours=3))
    b = await submit(api.core, category="staff_conduct", oblast="UA-63", programme="food")
    clock.advance(timedelta(hours=3))
    c = await submit(
        api.core, category="suggestion", oblast="abroad", programme=None, language=Language.EN
    )
    s = await submit(api.core, category="fraud_corruption", narrative="хабар", oblast="UA-46")
    await change(
        api,
        b.ref,
        operator,
        status=Status.ACKNOWLEDGED,
        set_assignee=True,
        assignee_id=operator.user_id,
        tags=["cash", "urgent-call"],
    )
    await change(api, c.ref, focal, set_assignee=True, assignee_id=focal.user_id, tags=["cash"])
    await change(api, s.ref, focal, set_assignee=True, assignee_id=focal.user_id)

    assert await refs(api) == [a.ref, b.ref, c.ref]
    assert await refs(api, "focal_point") == [a.ref, b.ref, c.ref, s.ref]
    # Not listed, and not counted either.
    for who, total in (("operator", 3), ("focal_point", 4)):
        page = (await api.call("GET", CASES, who, params={"oblast": ["UA-46", "UA-63"]})).json()
        assert page["total"] == total - 1, who
    # Repeated parameters: any of.
    assert await refs(api, status=["new", "acknowledged"]) == [a.ref, b.ref, c.ref]
    assert await refs(api, status="acknowledged") == [b.ref]
    assert await refs(api, category=["staff_conduct", "suggestion"]) == [b.ref, c.ref]
    assert await refs(api, priority="high") == [b.ref]
    assert await refs(api, oblast=["UA-46", "abroad"]) == [a.ref, c.ref]
    assert await refs(api, "focal_point", oblast="UA-46") == [a.ref, s.ref]
    assert await refs(api, programme="food") == [b.ref]
    assert await refs(api, language=["ru", "en"]) == [a.ref, c.ref]
    # Tags: all of, whatever the case of the query.
    assert await refs(api, tag="cash") == [b.ref, c.ref]
    assert await refs(api, tag=["CASH", "urgent-call"]) == [b.ref]
    assert await refs(api, tag=["cash", "other"]) == []
    # Sensitivity: explicit, and never a way round access.
    assert await refs(api, "focal_point", sensitive="true") == [s.ref]
    assert await refs(api, "focal_point", sensitive="false") == [a.ref, b.ref, c.ref]
    assert await refs(api, sensitive="true") == []
    # Assignee: an id, "mine", "unassigned".
    assert await refs(api, assignee="mine") == [b.ref]
    assert await refs(api, "focal_point", assignee="mine") == [c.ref, s.ref]
    assert await refs(api, assignee=str(focal.user_id)) == [c.ref]  # not the sensitive one
    assert await refs(api, assignee="unassigned") == [a.ref]
    # Created range: from inclusive, to exclusive.
    start = clock.now() - timedelta(hours=6)
    assert await refs(
        api,
        created_from=(start + timedelta(hours=3)).isoformat(),
        created_to=(start + timedelta(hours=6)).isoformat(),
    ) == [b.ref]
    assert await refs(api, created_from=start.isoformat(), created_to=start.isoformat()) == []
    # Several filters at once: all must hold.
    assert await refs(api, tag="cash", status="new", assignee=str(focal.user_id)) == [c.ref]


async def test_overdue_flag_matches_overdue_filter(staffed: Api, clock: FrozenClock) -> None:
    api = staffed
    slow = await submit(api.core)  # to acknowledge within 72 h
    clock.advance(timedelta(hours=73))
    fresh = await submit(api.core)
    await api.sign_in("operator", "operator")  # the first token expired meanwhile
    assert await refs(api, overdue="true") == [slow.ref]
    assert await refs(api, overdue="false") == [fresh.ref]
    items = (await api.call("GET", CASES, "operator", params={"sort": "created"})).json()["items"]
    assert [(i["ref"], i["overdue"]) for i in items] == [(slow.ref, True), (fresh.ref, False)]
    assert items[0]["acknowledge_due_at"] == "2026-03-05T09:00:00Z"
    assert items[0]["resolve_due_at"] == "2026-04-01T09:00:00Z"


async def test_worklist_rows_carry_what_triage_needs_and_no_narrative(staffed: Api) -> None:
    api = staffed
    made = await submit(api.core, narrative="Видали менше продуктів, ніж у списку")
    response = await api.call("GET", CASES, "operator")
    page = response.json()
    assert page["total"] == 1 and page["next_cursor"] is None
    [item] = page["items"]
    assert set(item) == {
        "ref",
        "category",
        "sensitive",
        "priority",
        "status",
        "oblast",
        "programme",
        "language",
        "created_at",
        "updated_at",
        "acknowledge_due_at",
        "resolve_due_at",
        "overdue",
        "assignee_id",
        "tags",
        "version",
        "new_activity",
    }
    assert item["ref"] == made.ref and item["version"] == 1
    assert "продуктів" not in response.text


async def test_search(staffed: Api) -> None:
    api = staffed
    uk = await submit(api.core, narrative="Скарга на роздачу води")
    en = await submit(
        api.core, narrative="Long queue at the distribution point", language=Language.EN
    )
    added = await submit(api.core, narrative="Перше повідомлення")
    sens = await submit(api.core, category="fraud_corruption", narrative="Вимагали хабар")
    async with api.core.database.transaction() as session:
        triage, intake = TriageService(session, api.core), IntakeService(session, api.core)
        case = await triage.get_visible(added.ref, api.actors["operator"])
        await intake.add_reporter_info(case.id, text="Ось додаток до скарги")
        hidden = await triage.get_visible(sens.ref, api.actors["focal_point"])
        await intake.add_reporter_info(hidden.id, text="Забрали паспорт")

    assert await refs(api, q="скарг") == [uk.ref, added.ref]  # narrative and addition
    assert await refs(api, q="QUEUE distrib") == [en.ref]
    assert await refs(api, q="додаток") == [added.ref]
    assert await refs(api, q="хабар") == []  # sensitive: not for an operator
    assert await refs(api, "focal_point", q="хабар") == [sens.ref]
    assert await refs(api, "focal_point", q="паспорт") == [sens.ref]
    assert await refs(api, q="скарг", status="acknowledged") == []
    assert await refs(api, q='"); DROP TABLE cases; --') == []
    page = (await api.call("GET", CASES, "operator", params={"q": "скарг"})).json()
    assert page["total"] == 2


async def all_pages(api: Api, sort: str, on_first_page: Any = None) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = (await api.call("GET", CASES, "operator", params=params)).json()
        seen += [item["ref"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        if on_first_page is not None and len(seen) == 4:
            await on_first_page()


async def test_pages_through_everything_in_a_stable_order(staffed: Api, clock: FrozenClock) -> None:
    api = staffed
    made = []
    for i in range(11):
        category = "staff_conduct" if i % 4 else "suggestion"
        made.append((await submit(api.core, category=category)).ref)
        if i % 3:
            clock.advance(timedelta(minutes=1))  # some share a timestamp: the id breaks ties
    await submit(api.core, category="trafficking", narrative="робота")  # not for operators
    for sort in ("-created", "created", "updated", "-updated", "due", "priority"):
        seen = await all_pages(api, sort)
        assert sorted(seen) == sorted(made), sort
    first = (await api.call("GET", CASES, "operator", params={"limit": 4})).json()
    assert first["total"] == 11
    assert await all_pages(api, "-created") == list(reversed(made))

    # A case filed while someone pages neither shifts nor repeats what comes next.
    async def file_one() -> None:
        clock.advance(timedelta(minutes=1))
        await submit(api.core)

    assert await all_pages(api, "-created", on_first_page=file_one) == list(reversed(made))
