"""The visibility rule is in the query (issue 10): for an operator, a sensitive case and
a case that does not exist take the same path, down to the SQL, and get the same 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from tests.admin_api.helpers import UNKNOWN_REF, Api
from tests.storage.helpers import submit

VISIBLE_ONLY = re.compile(r"WHERE cases\.ref = \S+ AND cases\.sensitive IS (false|0)\b")

V1 = "/api/v1"


@contextmanager
def statements(api: Api) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = api.core.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def shape(response: httpx.Response, ref: str) -> tuple[int, str, str]:
    return (
        response.status_code,
        response.headers.get("content-type", ""),
        response.text.replace(ref, "{ref}"),
    )


async def test_a_hidden_case_and_a_missing_one_are_one_query_and_one_404(staffed: Api) -> None:
    api = staffed
    hidden = await submit(api.core, category="trafficking", narrative="Забрали паспорт")
    # Sign the token's first use in first, so both requests below do the same work.
    await api.call("GET", f"{V1}/cases", "operator")
    with statements(api) as for_hidden:
        hidden_response = await api.call("GET", f"{V1}/cases/{hidden.ref}", "operator")
    with statements(api) as for_missing:
        missing_response = await api.call("GET", f"{V1}/cases/{UNKNOWN_REF}", "operator")
    assert hidden_response.status_code == 404
    assert shape(hidden_response, hidden.ref) == shape(missing_response, UNKNOWN_REF)
    assert for_hidden == for_missing
    lookups = [s for s in for_hidden if "WHERE cases.ref" in s]
    # The predicate is the lookup's own (its tags are joined in and ordered after it).
    assert len(lookups) == 1 and VISIBLE_ONLY.search(lookups[0]), lookups
    # The focal point sees it, through a query without the predicate.
    with statements(api) as for_focal:
        response = await api.call("GET", f"{V1}/cases/{hidden.ref}", "focal_point")
    assert response.status_code == 200
    lookups = [s for s in for_focal if "WHERE cases.ref" in s]
    assert len(lookups) == 1 and "sensitive IS" not in lookups[0]
