"""The audit trail through the API: one event per change, written in the change's own
transaction; every read of a sensitive case recorded; ``GET /audit`` by role."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from storage.clock import FrozenClock
from storage.models import AuditEvent
from tests.admin_api.helpers import (
    Api,
    attachment_id,
    audit_events,
    last_event_id,
    submit_with_file,
    version_of,
)
from tests.storage.helpers import content_snapshot

V1 = "/api/v1"


async def one_new_event(api: Api, since: int) -> AuditEvent:
    events = await audit_events(api.core, after_id=since)
    assert len(events) == 1, [e.action for e in events]
    return events[0]


async def test_every_mutation_writes_exactly_one_event_with_what_changed(staffed: Api) -> None:
    api = staffed
    std = await submit_with_file(api.core)
    sens = await submit_with_file(api.core, category="fraud_corruption", narrative="хабар")
    operator = api.actors["operator"]
    focal = api.actors["focal_point"]
    admin = api.actors["admin"]

    @dataclass
    class Expect:
        action: str
        actor_id: int | None
        case_ref: str | None
        before: dict[str, Any] | None
        after: dict[str, Any] | None
        target_prefix: str | None = None

    async def patch(who: str, ref: str, body: dict[str, Any]) -> Any:
        version = await version_of(api.core, ref)
        return await api.call(
            "PATCH", f"{V1}/cases/{ref}", who, json=body, headers={"If-Match": f'"{version}"'}
        )

    mutations: list[tuple[str, Any, int, Expect]] = [
        (
            "case change",
            lambda: patch(
                "operator",
                std.ref,
                {
                    "status": "acknowledged",
                    "priority": "high",
                    "assignee_id": operator.user_id,
                    "tags": ["Cash", "food"],
                },
            ),
            200,
            Expect(
                "case.updated",
                operator.user_id,
                std.ref,
                {"status": "new", "priority": "normal", "assignee_id": None, "tags": []},
                {
                    "status": "acknowledged",
                    "priority": "high",
                    "assignee_id": operator.user_id,
                    "tags": ["cash", "food"],
                },
            ),
        ),
        (
            "unassigning",
            lambda: patch("operator", std.ref, {"assignee_id": None}),
            200,
            Expect(
                "case.updated",
                operator.user_id,
                std.ref,
                {"assignee_id": operator.user_id},
                {"assignee_id": None},
            ),
        ),
        (
            # A change to a sensitive case is one event too: no extra "read" for it.
            "sensitive case change",
            lambda: patch("focal_point", sens.ref, {"status": "acknowledged"}),
            200,
            Expect(
                "case.updated",
                focal.user_id,
                sens.ref,
                {"status": "new"},
                {"status": "acknowledged"},
            ),
        ),
        (
            "note",
            lambda: api.call("POST", f"{V1}/cases/{std.ref}/notes", "operator", json={"text": "x"}),
            201,
            Expect("note.added", operator.user_id, std.ref, None, None, "note:"),
        ),
        (
            "reply",
            lambda: api.call(
                "POST",
                f"{V1}/cases/{sens.ref}/replies",
                "focal_point",
                json={"texts": {"uk": "Дякуємо", "en": "Thank you"}},
            ),
            201,
            Expect(
                "reply.added",
                focal.user_id,
                sens.ref,
                None,
                {"languages": ["en", "uk"], "delivery": "not_applicable"},
                "reply:",
            ),
        ),
        (
            "account created",
            lambda: api.call(
                "POST",
                f"{V1}/users",
                "admin",
                json={"username": "nadia", "password": "a-long-enough-password", "role": "analyst"},
            ),
            201,
            Expect(
                "user.created",
                admin.user_id,
                None,
                None,
                {"username": "nadia", "role": "analyst", "is_active": True},
                "user:",
            ),
        ),
        (
            "account changed",
            lambda: api.call(
                "PATCH",
                f"{V1}/users/{api.actors['analyst'].user_id}",
                "admin",
                json={"role": "operator", "display_name": "Anna"},
            ),
            200,
            Expect(
                "user.updated",
                admin.user_id,
                None,
                {"role": "analyst", "display_name": ""},
                {"role": "operator", "display_name": "Anna"},
                "user:",
            ),
        ),
        (
            "sign-in",
            lambda: api.login("operator"),
            200,
            Expect("auth.signed_in", operator.user_id, None, None, None),
        ),
        (
            "sign-out",
            lambda: api.call("POST", f"{V1}/auth/logout", "focal_point"),
            204,
            Expect("auth.signed_out", focal.user_id, None, None, None),
        ),
    ]
    for name, call, status, expect in mutations:
        since = await last_event_id(api.core)
        response = await call()
        assert response.status_code == status, (name, response.text)
        event_ = await one_new_event(api, since)
        got = (event_.action, event_.actor_id, event_.case_ref, event_.before, event_.after)
        assert got == (
            expect.action,
            expect.actor_id,
            expect.case_ref,
            expect.before,
            expect.after,
        ), name
        if expect.target_prefix:
            assert (event_.target or "").startswith(expect.target_prefix), name
        assert event_.sensitive is (expect.case_ref == sens.ref), name

    # A PATCH that changes nothing is not a change: no event, same version.
    since = await last_event_id(api.core)
    response = await patch("operator", std.ref, {"priority": "high"})
    assert response.status_code == 200
    assert await audit_events(api.core, after_id=since) == []


async def test_every_read_of_a_sensitive_case_is_recorded(staffed: Api) -> None:
    api = staffed
    std = await submit_with_file(api.core)
    sens = await submit_with_file(api.core, category="trafficking", narrative="паспорт")
    sens_file = await attachment_id(api.core, sens.ref)
    std_file = await attachment_id(api.core, std.ref)
    focal = api.actors["focal_point"].user_id

    reads = [
        (f"{V1}/cases/{sens.ref}", "case.read", None),
        (f"{V1}/cases/{sens.ref}/events", "case.read", None),
        (f"{V1}/cases/{sens.ref}/attachments/{sens_file}", "attachment.read", "attachment:"),
    ]
    for path, action, target in reads:
        since = await last_event_id(api.core)
        response = await api.call("GET", path, "focal_point")
        assert response.status_code == 200, path
        event_ = await one_new_event(api, since)
        assert (event_.action, event_.actor_id, event_.case_ref, event_.sensitive) == (
            action,
            focal,
            sens.ref,
            True,
        )
        assert target is None or (event_.target or "").startswith(target)

    # Reading standard cases, and refused reads, leave no trace.
    since = await last_event_id(api.core)
    for path, who in (
        (f"{V1}/cases/{std.ref}", "focal_point"),
        (f"{V1}/cases/{std.ref}/attachments/{std_file}", "operator"),
        (f"{V1}/cases/{std.ref}/events", "operator"),
        (f"{V1}/cases/{sens.ref}", "operator"),  # 404
        (f"{V1}/cases", "focal_point"),
    ):
        await api.call("GET", path, who)
    assert await audit_events(api.core, after_id=since) == []
    # The case's own trail shows the reads, and no narrative.
    trail = (await api.call("GET", f"{V1}/cases/{sens.ref}/events", "focal_point")).json()
    assert [e["action"] for e in trail["items"]].count("case.read") >= 2
    assert "паспорт" not in str(trail)


@contextmanager
def failing_commit(seen: list[str]) -> Iterator[None]:
    """Make every commit fail *after* the flush that wrote the audit row.

    ``seen`` collects the actions of audit rows each flush sent to the database, to show
    they were written inside the transaction before it failed.
    """

    def after_flush(session: Session, _context: Any) -> None:
        written = [o.action for o in session.new if isinstance(o, AuditEvent)]
        seen.extend(written)
        if written:
            session.info["audit_written"] = True

    def before_commit(session: Session) -> None:
        session.flush()
        if session.info.get("audit_written"):
            raise RuntimeError("injected failure after the audit row was written")

    event.listen(Session, "after_flush", after_flush)
    event.listen(Session, "before_commit", before_commit)
    try:
        yield
    finally:
        event.remove(Session, "after_flush", after_flush)
        event.remove(Session, "before_commit", before_commit)


async def test_a_change_and_its_event_commit_together_or_not_at_all(staffed: Api) -> None:
    api = staffed
    std = await submit_with_file(api.core)
    sens = await submit_with_file(api.core, category="fraud_corruption", narrative="хабар")
    await api.call("GET", f"{V1}/me", "operator")  # the token's first use is recorded
    await api.call("GET", f"{V1}/me", "focal_point")
    before = await content_snapshot(api.core)

    requests = [
        ("operator", "PATCH", std.ref, {"status": "acknowledged"}, "case.updated"),
        ("focal_point", "PATCH", sens.ref, {"priority": "low", "tags": ["x"]}, "case.updated"),
        ("operator", "POST", f"{std.ref}/notes", {"text": "A note"}, "note.added"),
        ("operator", "POST", f"{std.ref}/replies", {"texts": {"en": "Hi"}}, "reply.added"),
        ("focal_point", "GET", sens.ref, None, "case.read"),
    ]
    for who, method, path, body, action in requests:
        seen: list[str] = []
        headers = {"If-Match": '"1"'} if method == "PATCH" else {}
        with failing_commit(seen):
            response = await api.call(method, f"{V1}/cases/{path}", who, json=body, headers=headers)
        assert response.status_code == 500, (path, response.text)
        assert response.json()["code"] == "internal_error"
        assert action in seen, (path, seen)  # the event reached the database, then…
        assert await content_snapshot(api.core) == before, path  # …nothing remained


# PostgreSQL only: SQLite serialises writers, so there the stale version is seen before
# anything is written (covered by the concurrency tests on both engines).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_version_conflict_found_while_writing_leaves_no_event(staffed: Api) -> None:
    """Another transaction holds the row; the PATCH reads the old version, records its
    event, then its UPDATE finds the version gone at flush: 412, no event."""
    api = staffed
    std = await submit_with_file(api.core)
    async with api.core.database.transaction() as holder:
        await holder.execute(
            text("UPDATE cases SET priority = 'high', version = version + 1 WHERE ref = :ref"),
            {"ref": std.ref},
        )
        since = await last_event_id(api.core)
        patching = asyncio.create_task(
            api.call(
                "PATCH",
                f"{V1}/cases/{std.ref}",
                "operator",
                json={"status": "acknowledged"},
                headers={"If-Match": '"1"'},
            )
        )
        await wait_for_lock_wait(api)
    response = await patching
    assert response.status_code == 412, response.text
    assert response.json()["code"] == "stale_version"
    assert await audit_events(api.core, after_id=since) == []
    assert await version_of(api.core, std.ref) == 2


async def wait_for_lock_wait(api: Api) -> None:
    """Until some backend of this database waits on a row lock (the PATCH's UPDATE; other
    test processes' databases are on the same server), polling briefly."""
    for _ in range(500):
        async with api.core.database.engine.connect() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the PATCH never waited for the row lock")


async def test_the_audit_log_by_role(staffed: Api, clock: FrozenClock) -> None:
    api = staffed
    std = await submit_with_file(api.core)
    clock.advance(timedelta(minutes=5))
    sens = await submit_with_file(api.core, category="fraud_corruption", narrative="хабар")
    await api.call("GET", f"{V1}/cases/{sens.ref}", "focal_point")
    await api.call("GET", f"{V1}/cases/{std.ref}", "operator")
    everything = await audit_events(api.core)

    async def log(who: str, **params: Any) -> list[dict[str, Any]]:
        response = await api.call("GET", f"{V1}/audit", who, params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    admin_view = await log("admin", limit=200)
    newest_first = [e.public_id for e in sorted(everything, key=lambda e: e.id, reverse=True)]
    assert [e["id"] for e in admin_view] == newest_first
    # Public ids only: the numeric keys, which count the trail, never leave.
    assert not any(e["id"].isdigit() for e in admin_view)
    focal_view = await log("focal_point", limit=200)
    assert focal_view and all(e["sensitive"] for e in focal_view)
    assert {e["id"] for e in focal_view} == {e.public_id for e in everything if e.sensitive}
    for who in ("operator", "analyst"):
        response = await api.call("GET", f"{V1}/audit", who)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")

    # Filters: case, actor, action (any of), time range.
    assert {e["case_ref"] for e in await log("admin", case_ref=std.ref)} == {std.ref}
    assert await log("focal_point", case_ref=std.ref) == []  # not sensitive
    assert await log("admin", case_ref="HL-2026-999999") == []
    focal_id = api.actors["focal_point"].user_id
    by_focal = await log("admin", actor_id=focal_id)
    assert by_focal and {e["actor_id"] for e in by_focal} == {focal_id}
    reads_and_signins = await log("admin", action=["case.read", "auth.signed_in"])
    assert {e["action"] for e in reads_and_signins} == {"case.read", "auth.signed_in"}
    late = await log("admin", since=(clock.now() - timedelta(minutes=1)).isoformat())
    early = await log("admin", until=(clock.now() - timedelta(minutes=1)).isoformat())
    assert late and early and len(late) + len(early) == len(everything)
    assert all(e["case_ref"] != std.ref for e in late)

    # Pages, newest first, through to the end.
    ids: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await api.call("GET", f"{V1}/audit", "admin", params=params)).json()
        ids += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids == newest_first


async def test_an_admin_sees_no_attributes_of_a_sensitive_case(staffed: Api) -> None:
    """Issue 18 §4: the admin's audit list showed every sensitive `case.created` with its
    category, oblast, programme and language. An admin still sees that something happened
    (who, what, when, which reference), never what the case is; a focal point sees all."""
    api = staffed
    sens = await submit_with_file(
        api.core, category="sexual_exploitation", oblast="UA-46", programme="cash"
    )
    std = await submit_with_file(api.core, oblast="UA-32")
    await api.call("GET", f"{V1}/cases/{sens.ref}", "focal_point")

    async def log(who: str, **params: Any) -> list[dict[str, Any]]:
        response = await api.call("GET", f"{V1}/audit", who, params={"limit": 200, **params})
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    admin = await log("admin")
    sealed = [e for e in admin if e["case_ref"] == sens.ref]
    assert {e["action"] for e in sealed} >= {"case.created", "case.read"}
    for item in sealed:
        assert item["sensitive"] is True
        assert (item["before"], item["after"], item["target"]) == (None, None, None), item
    shown = str(admin)
    for attribute in ("sexual_exploitation", "UA-46", "cash"):
        assert attribute not in shown, attribute
    created = next(e for e in admin if e["case_ref"] == std.ref and e["action"] == "case.created")
    assert created["after"]["oblast"] == "UA-32"  # a standard case's event is whole
    focal = [e for e in await log("focal_point") if e["action"] == "case.created"]
    assert focal[0]["after"]["category"] == "sexual_exploitation"

    # A case moved into the sealed channel: its earlier, standard events are sealed too.
    async with api.core.database.transaction() as session:
        await session.execute(
            text("UPDATE cases SET sensitive = :yes, category = 'trafficking' WHERE ref = :ref"),
            {"yes": True, "ref": std.ref},
        )
    moved = [e for e in await log("admin", case_ref=std.ref)]
    assert moved and all(e["after"] is None and e["sensitive"] for e in moved)
