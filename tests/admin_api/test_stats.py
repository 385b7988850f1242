"""``/api/v1/stats`` and ``/api/v1/ratings`` over HTTP, on both engines: the role rules,
the figures, and a clear 422 naming the parameter for every bad input."""

from __future__ import annotations

import pytest

from storage.clock import FrozenClock
from tests.admin_api.helpers import ROLES, Api
from tests.storage.helpers import content_snapshot, submit, tampered_cursor
from tests.storage.stats_seed import seed

PERIOD = {"from": "2026-10-01", "to": "2026-11-30"}


async def seed_one_case(api: Api) -> None:
    await submit(api.core)


@pytest.fixture
async def seeded(api: Api, clock: FrozenClock) -> Api:
    await seed(api.core, clock)
    # Signed in after the seed has moved the clock to "now", so the tokens are fresh.
    for role in ROLES:
        await api.add_staff(role, role)
    return api


async def test_each_role_counts_what_it_may_see(seeded: Api) -> None:
    answers = {}
    for role in ROLES:
        response = await seeded.call(
            "GET", "/api/v1/stats", role, params={**PERIOD, "group_by": "category"}
        )
        assert response.status_code == 200, response.text
        answers[role] = response.json()
    focal, analyst = answers["focal_point"], answers["analyst"]
    assert focal["sensitive_cases"] == "all"
    assert focal["cases"]["received"] == 6
    assert focal["received_by"]["category"]["fraud_corruption"] == 1
    assert analyst["sensitive_cases"] == "grouped"
    assert analyst["cases"]["received"] == 6
    assert analyst["received_by"]["category"]["sensitive"] == 1
    assert "fraud_corruption" not in str(analyst)
    for role in ("operator", "admin"):
        assert answers[role]["sensitive_cases"] == "standard"
        assert answers[role]["cases"]["received"] == 5
        assert "sensitive" not in answers[role]["received_by"]["category"]
    assert focal["period"] == {"from": "2026-10-01", "to": "2026-11-30", "timezone": "Europe/Kyiv"}
    cases = focal["cases"]
    assert cases["share_acknowledged_within_sla"] == 0.6667
    assert cases["share_resolved_within_sla"] == 0.4
    assert cases["median_hours_to_resolve"] == 216.0
    assert focal["satisfaction"]["distribution"] == {"1": 1, "2": 1, "3": 0, "4": 0, "5": 2}
    assert focal["satisfaction_by_month"]["2026-11"]["mean"] == 3.5


async def test_sign_in_is_needed(api: Api) -> None:
    for path in ("/api/v1/stats", "/api/v1/ratings", "/api/v1/export"):
        response = await api.call("GET", path)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


BAD = [
    ({"from": "2026-11-05", "to": "2026-11-01"}, "from"),
    # Days whose period would overflow Python's dates (a 500 before issue 18).
    ({"from": "0001-01-01", "to": "0001-01-31"}, "from"),
    ({"from": "9999-12-01", "to": "9999-12-31"}, "from"),
    ({"to": "9999-12-31"}, "to"),
    ({"from": "1999-12-31", "to": "2000-01-02"}, "from"),
    ({"from": "2024-01-01", "to": "2026-11-01"}, "to"),
    ({"from": "2026-11-31"}, "from"),
    ({"group_by": "colour"}, "group_by"),
    ({"color": "red"}, "color"),
    ({"status": "lost"}, "status"),
    ({"category": "weather"}, "category"),
    ({"oblast": "UA-99"}, "oblast"),
    ({"programme": "space"}, "programme"),
]


async def test_bad_input_names_the_parameter(staffed: Api) -> None:
    await seed_one_case(staffed)
    before = await content_snapshot(staffed.core)
    for params, named in BAD:
        response = await staffed.call("GET", "/api/v1/stats", "analyst", params=params)
        assert response.status_code == 422, (params, response.text)
        body = response.json()
        assert set(body) >= {"code", "detail"}
        where = [issue["loc"][-1] for issue in body.get("errors", [])]
        assert named in where or named in body["detail"], body
    assert await content_snapshot(staffed.core) == before


async def test_analysts_cannot_ask_for_a_sensitive_category(seeded: Api) -> None:
    response = await seeded.call(
        "GET", "/api/v1/stats", "analyst", params={**PERIOD, "category": "trafficking"}
    )
    assert response.status_code == 403
    assert "category" in response.json()["detail"]
    grouped = await seeded.call(
        "GET", "/api/v1/stats", "analyst", params={**PERIOD, "sensitive": "true"}
    )
    assert grouped.json()["cases"]["received"] == 1


async def test_analysts_never_narrow_sensitive_reports_down(seeded: Api) -> None:
    """Issue 18 §4: `sensitive=true&oblast=…&language=…` narrowed the one sensitive report
    to a single case for an analyst. Sensitive reports are one group for analysts, over
    whole months, never crossed with another dimension."""
    crossed = [
        {"sensitive": "true", "oblast": "UA-63", "language": "uk"},
        {"sensitive": "true", "programme": "food"},
        {"sensitive": "true", "status": "closed"},
        {"sensitive": "true", "priority": "urgent"},
        {"sensitive": "true", "overdue": "false"},
        {"sensitive": "true", "tag": "x"},
    ]
    for filters in crossed:
        response = await seeded.call(
            "GET", "/api/v1/stats", "analyst", params={**PERIOD, **filters}
        )
        assert response.status_code == 403, (filters, response.text)
        assert "one group" in response.json()["detail"]
    # A day inside a month is not a month.
    for period in (
        {"from": "2026-11-10", "to": "2026-11-10"},
        {"from": "2026-11-02", "to": "2026-11-30"},
    ):
        response = await seeded.call(
            "GET", "/api/v1/stats", "analyst", params={**period, "sensitive": "true"}
        )
        assert response.status_code == 403, period
        assert "whole months" in response.json()["detail"]
    # Without asking for them, a narrowed view simply leaves them out, and says so.
    for params in ({**PERIOD, "oblast": "UA-63"}, {"from": "2026-11-10", "to": "2026-11-12"}):
        answer = (await seeded.call("GET", "/api/v1/stats", "analyst", params=params)).json()
        assert answer["sensitive_cases"] == "left_out", params
        assert "sensitive" not in answer["received_by"]["sensitivity"]
        assert "sensitive" not in str(answer["received_by"])
    narrowed = (
        await seeded.call("GET", "/api/v1/stats", "analyst", params={**PERIOD, "oblast": "UA-63"})
    ).json()
    assert narrowed["cases"]["received"] == 3  # C, A, B: the fraud report (UA-63) is not in it
    # Over whole months and no other filter, it is the one group, in every breakdown.
    whole = (
        await seeded.call(
            "GET", "/api/v1/stats", "analyst", params={**PERIOD, "group_by": "oblast"}
        )
    ).json()
    assert whole["sensitive_cases"] == "grouped"
    assert whole["received_by"]["oblast"]["sensitive"] == 1
    assert [g["key"] for g in whole["groups"]] == ["UA-46", "UA-63", "sensitive"]
    # The month so far counts as a whole month.
    running = await seeded.call(
        "GET", "/api/v1/stats", "analyst", params={"from": "2026-12-01", "sensitive": "true"}
    )
    assert running.status_code == 200 and running.json()["sensitive_cases"] == "grouped"
    # A focal point is not bound by it.
    focal = await seeded.call(
        "GET",
        "/api/v1/stats",
        "focal_point",
        params={**PERIOD, "sensitive": "true", "oblast": "UA-63", "language": "uk"},
    )
    assert focal.status_code == 200 and focal.json()["cases"]["received"] == 1


async def test_ratings_pages_and_comments_by_role(seeded: Api) -> None:
    seen: list[int] = []
    cursor = None
    while True:
        params = {**PERIOD, "limit": "3"}
        if cursor:
            params["cursor"] = cursor
        response = await seeded.call("GET", "/api/v1/ratings", "analyst", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == 4
        assert all(item["comment"] is None for item in page["items"])
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 4 == len(set(seen))
    comments = await seeded.call("GET", "/api/v1/ratings", "operator", params=PERIOD)
    assert [i["comment"] for i in comments.json()["items"]] == ["Дякуємо!", None, None, None]
    low = await seeded.call(
        "GET", "/api/v1/ratings", "operator", params={**PERIOD, "score": ["1", "2"]}
    )
    assert [i["score"] for i in low.json()["items"]] == [1, 2]
    assert low.json()["items"][0]["reasons"] == ["respect", "waiting_time"]
    # A cursor from other filters, or tampered with, is refused.
    first = await seeded.call("GET", "/api/v1/ratings", "analyst", params={**PERIOD, "limit": "1"})
    cursor = first.json()["next_cursor"]
    for params in (
        {**PERIOD, "limit": "1", "score": "5", "cursor": cursor},
        {**PERIOD, "limit": "1", "cursor": tampered_cursor(cursor)},
    ):
        refused = await seeded.call("GET", "/api/v1/ratings", "analyst", params=params)
        assert refused.status_code == 422
        assert refused.json()["code"] == "invalid_cursor"
