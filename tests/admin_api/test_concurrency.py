"""Optimistic concurrency over HTTP: of two changes made from the same version, one wins."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event

from tests.admin_api.helpers import Api, audit_events, last_event_id, version_of
from tests.storage.helpers import submit

V1 = "/api/v1"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"status": "acknowledged"}, {"status": "acknowledged"}),
        ({"priority": "high", "tags": ["a"]}, {"priority": "low", "tags": ["a", "b"]}),
    ],
    ids=["same change", "different changes"],
)
async def test_two_changes_from_the_same_version(
    staffed: Api, first: dict[str, object], second: dict[str, object]
) -> None:
    api = staffed
    case = await submit(api.core)
    path = f"{V1}/cases/{case.ref}"
    since = await last_event_id(api.core)
    responses = await asyncio.gather(
        api.call("PATCH", path, "operator", json=first, headers={"If-Match": '"1"'}),
        api.call("PATCH", path, "focal_point", json=second, headers={"If-Match": '"1"'}),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 412], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200)
    loser = next(r for r in responses if r.status_code == 412)
    assert loser.json()["code"] == "stale_version"
    assert winner.headers["ETag"] == '"2"' and winner.json()["version"] == 2
    assert await version_of(api.core, case.ref) == 2
    # Only the winner's change, and only its event, remain.
    winner_who, winner_body = (
        ("operator", first) if responses[0] is winner else ("focal_point", second)
    )
    events = await audit_events(api.core, after_id=since)
    assert [(e.action, e.actor_id) for e in events] == [
        ("case.updated", api.actors[winner_who].user_id)
    ]
    stored = (await api.call("GET", path, "operator")).json()
    assert {key: stored[key] for key in winner_body} == winner_body
    # The loser reloads and tries again with the new version.
    retry = await api.call(
        "PATCH", path, "operator", json={"priority": "urgent"}, headers={"If-Match": '"2"'}
    )
    assert retry.status_code == 200 and retry.headers["ETag"] == '"3"'


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL locks rows
async def test_concurrent_changes_on_sqlite_take_turns_in_the_process(staffed: Api) -> None:
    """On SQLite the API's write transactions queue in the process before asking for the
    write lock, instead of in SQLite's sleep-and-retry (steps of up to 100 ms). With
    SQLite's wait turned off, a writer that met the lock taken would fail at once."""
    api = staffed
    assert api.core.database.dialect == "sqlite"
    cases = [await submit(api.core) for _ in range(6)]
    engine = api.core.database.engine.sync_engine

    def no_waiting(dbapi_connection: Any, *_args: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    event.listen(engine, "checkout", no_waiting)
    try:
        responses = await asyncio.gather(
            *(
                api.call(
                    "PATCH",
                    f"{V1}/cases/{case.ref}",
                    "operator",
                    json={"priority": "high"},
                    headers={"If-Match": "*"},
                )
                for case in cases
            )
        )
    finally:
        event.remove(engine, "checkout", no_waiting)
    assert [r.status_code for r in responses] == [200] * len(cases), [
        r.text for r in responses if r.status_code != 200
    ]
