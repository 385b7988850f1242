"""Issue 18 §5: extreme dates anywhere a date is taken are a 422 naming the parameter,
never a 500 (a period's end is the next day's midnight in UTC, which overflows Python's
dates at the ends of its range)."""

from __future__ import annotations

import pytest

from tests.admin_api.helpers import Api
from tests.storage.helpers import content_snapshot, submit

DAYS = [
    ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
    ({"from": "9999-12-31", "to": "9999-12-31"}, "from"),
    ({"to": "9999-12-31"}, "to"),
    ({"from": "0001-01-01"}, "from"),
]
INSTANTS = [
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00",
]


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/v1/stats", "analyst"),
        ("/api/v1/ratings", "analyst"),
        ("/api/v1/export", "analyst"),
        ("/api/v1/export", "focal_point"),
    ],
)
async def test_days_out_of_range_are_refused(staffed: Api, path: str, who: str) -> None:
    await submit(staffed.core)
    before = await content_snapshot(staffed.core)
    for params, named in DAYS:
        response = await staffed.call("GET", path, who, params=params)
        assert response.status_code == 422, (path, params, response.text)
        assert named in response.json()["detail"], response.text
    assert await content_snapshot(staffed.core) == before  # not even an audit event


async def test_instants_at_the_ends_of_time(staffed: Api) -> None:
    """The worklist and the audit log take instants: each is refused or answered, never
    a 500."""
    await submit(staffed.core)
    for value in INSTANTS:
        for path, who, names in (
            ("/api/v1/cases", "operator", ("created_from", "created_to")),
            ("/api/v1/audit", "admin", ("since", "until")),
        ):
            for name in names:
                response = await staffed.call("GET", path, who, params={name: value})
                assert response.status_code in (200, 422), (path, name, value, response.text)
                if response.status_code == 422:
                    assert name in str(response.json()), response.text
