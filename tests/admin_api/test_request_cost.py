"""The API's fixed cost per request (issue 9): what every signed-in request pays before
its own work. Counted in statements and thread hops, never timed (speed is `make bench`'s)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.dependencies import utils as dependency_utils
from sqlalchemy import event

from storage.services.triage import CaseChanges, TriageService
from tests.admin_api.helpers import Api
from tests.storage.helpers import submit

V1 = "/api/v1"


@contextmanager
def statements(api: Api) -> Iterator[list[str]]:
    """The statements the API sends meanwhile, transaction control left out."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.split()[0].upper()
        if verb not in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            seen.append(statement)

    engine = api.core.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_signed_in_request_reads_its_token_and_account_in_one_statement(
    staffed: Api,
) -> None:
    api = staffed
    # The first use writes the token's last use; the second, within the minute, does not.
    assert (await api.call("GET", f"{V1}/me", "operator")).status_code == 200
    with statements(api) as sent:
        assert (await api.call("GET", f"{V1}/me", "operator")).status_code == 200
    assert len(sent) == 1, sent
    assert "api_tokens" in sent[0] and "staff_users" in sent[0]


async def test_no_dependency_of_the_api_runs_in_the_thread_pool(
    staffed: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FastAPI runs a plain ``def`` dependency in its thread pool: a hop to a worker
    thread and back on every request that uses it."""
    api = staffed
    case = await submit(api.core)
    hops: list[str] = []
    original = dependency_utils.run_in_threadpool

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(func, "__qualname__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(dependency_utils, "run_in_threadpool", counting)
    for path in (f"{V1}/me", f"{V1}/cases", f"{V1}/cases/{case.ref}"):
        assert (await api.call("GET", path, "operator")).status_code == 200
    response = await api.call(
        "PATCH",
        f"{V1}/cases/{case.ref}",
        "operator",
        json={"priority": "high"},
        headers={"If-Match": "*"},
    )
    assert response.status_code == 200, response.text
    assert hops == []


async def test_the_worklist_reads_only_what_its_rows_show(staffed: Api) -> None:
    """A worklist row has no narrative: its page reads the columns it shows and the
    page's tags, not whole cases with their narratives (issue 9)."""
    api = staffed
    tagged = await submit(api.core, narrative="a description never listed")
    await submit(api.core)
    focal = api.actors["focal_point"]
    async with api.core.database.transaction() as session:
        service = TriageService(session, api.core)
        await service.update(
            tagged.ref, focal, expected_version=None, changes=CaseChanges(tags=["b-tag", "a-tag"])
        )
    assert (await api.call("GET", f"{V1}/me", "operator")).status_code == 200
    with statements(api) as sent:
        response = await api.call("GET", f"{V1}/cases", "operator")
    assert response.status_code == 200
    items = {item["ref"]: item["tags"] for item in response.json()["items"]}
    assert items[tagged.ref] == ["a-tag", "b-tag"]
    assert len(items) == 2
    # The token, the count, the page's rows, their tags, what is new on them for the reader.
    assert len(sent) == 5, sent
    assert not [s for s in sent if "narrative" in s], sent


async def test_a_patch_reads_its_case_and_tags_in_one_statement(staffed: Api) -> None:
    """The case a PATCH changes comes with its tags (the answer shows them): the token,
    the case, the UPDATE and the audit event, no second read for the tags."""
    api = staffed
    case = await submit(api.core)
    focal = api.actors["focal_point"]
    async with api.core.database.transaction() as session:
        await TriageService(session, api.core).update(
            case.ref, focal, expected_version=None, changes=CaseChanges(tags=["b-tag", "a-tag"])
        )
    assert (await api.call("GET", f"{V1}/me", "operator")).status_code == 200
    with statements(api) as sent:
        response = await api.call(
            "PATCH",
            f"{V1}/cases/{case.ref}",
            "operator",
            json={"priority": "high"},
            headers={"If-Match": "*"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["a-tag", "b-tag"]
    assert len(sent) == 4, sent
    assert sorted(s.split()[0].upper() for s in sent[1:]) == ["INSERT", "SELECT", "UPDATE"], sent
