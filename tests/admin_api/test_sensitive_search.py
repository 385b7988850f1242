"""A focal point's search that matches sensitive cases leaves an audit event: who, when
and how many sensitive cases matched, never the words searched for."""

from __future__ import annotations

import json

from tests.admin_api.helpers import Api, audit_events, last_event_id
from tests.storage.helpers import submit

CASES = "/api/v1/cases"
ACTION = "cases.searched_sensitive"


async def test_a_search_matching_sensitive_cases_is_audited_without_its_words(
    staffed: Api,
) -> None:
    api = staffed
    for _ in range(3):
        await submit(api.core, category="sexual_exploitation", narrative="Водій вимагав оплату")
    await submit(api.core, category="assistance_quality", narrative="Водій запізнився")
    await submit(api.core, category="assistance_quality", narrative="Черга була довга")

    # Someone who cannot see sensitive cases: nothing sensitive matched for them.
    start = await last_event_id(api.core)
    page = await api.call("GET", CASES, "operator", params={"q": "водій"})
    assert page.status_code == 200 and page.json()["total"] == 1
    assert [e.action for e in await audit_events(api.core, after_id=start)] == []

    # The focal point: one event, with the count, on the first page only.
    page = await api.call("GET", CASES, "focal_point", params={"q": "водій", "limit": 2})
    assert page.status_code == 200 and page.json()["total"] == 4
    cursor = page.json()["next_cursor"]
    assert cursor
    more = await api.call(
        "GET", CASES, "focal_point", params={"q": "водій", "limit": 2, "cursor": cursor}
    )
    assert more.status_code == 200
    events = [e for e in await audit_events(api.core, after_id=start) if e.action == ACTION]
    assert len(events) == 1
    (event,) = events
    assert event.actor_id == api.actors["focal_point"].user_id
    assert event.sensitive is True and event.case_id is None
    assert event.after == {"sensitive_matches": 3}
    stored = json.dumps([event.target, event.before, event.after], ensure_ascii=False).lower()
    assert "водій" not in stored and "вод" not in stored

    # A search matching no sensitive case, or one that excludes them, leaves nothing.
    start = await last_event_id(api.core)
    await api.call("GET", CASES, "focal_point", params={"q": "черга"})
    await api.call("GET", CASES, "focal_point", params={"q": "водій", "sensitive": "false"})
    await api.call("GET", CASES, "focal_point")  # no search at all
    assert [e.action for e in await audit_events(api.core, after_id=start)] == []

    # The focal point sees it in the trail.
    trail = await api.call("GET", "/api/v1/audit", "focal_point", params={"action": ACTION})
    assert trail.status_code == 200, trail.text
    items = trail.json()["items"]
    assert [i["action"] for i in items] == [ACTION]
