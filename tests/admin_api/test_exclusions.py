"""Keeping a focal point away from a case over HTTP (issue 21 §2)."""

from __future__ import annotations

from tests.admin_api.helpers import Api
from tests.storage.helpers import submit

V1 = "/api/v1"


async def test_exclusion_and_recusal(staffed: Api) -> None:
    api = staffed
    other = await api.add_staff("focal_two", "focal_point")
    me = api.actors["focal_point"]
    made = await submit(api.core, category="sexual_exploitation", narrative="Він погрожував")
    path = f"{V1}/cases/{made.ref}/exclusions"

    excluded = await api.call("POST", path, "focal_point", json={"user_id": other.user_id})
    assert excluded.status_code == 201
    assert excluded.json() == {"user_id": other.user_id, "kind": "excluded"}
    assert (await api.call("GET", f"{V1}/cases/{made.ref}", "focal_two")).status_code == 404
    listed = await api.call("GET", f"{V1}/cases", "focal_two")
    assert listed.json()["total"] == 0
    # The last one who sees it may not step back.
    alone = await api.call("POST", path, "focal_point", json={"user_id": me.user_id})
    assert alone.status_code == 409 and alone.json()["code"] == "last_focal_point"
    assert (await api.call("GET", f"{V1}/cases/{made.ref}", "focal_point")).status_code == 200
    # The excluded one cannot undo it from outside: the case does not exist for them.
    back = await api.call("POST", path, "focal_two", json={"user_id": me.user_id})
    assert back.status_code == 404


async def test_refusals(staffed: Api) -> None:
    api = staffed
    made = await submit(api.core, category="staff_conduct")
    path = f"{V1}/cases/{made.ref}/exclusions"
    operator = api.actors["operator"].user_id
    focal = api.actors["focal_point"].user_id
    for who, body, status in [
        ("operator", {"user_id": focal}, 403),
        ("focal_point", {"user_id": operator}, 422),
        ("focal_point", {"user_id": 0}, 422),
        ("focal_point", {}, 422),
        ("analyst", {"user_id": focal}, 403),
    ]:
        response = await api.call("POST", path, who, json=body)
        assert response.status_code == status, (who, body, response.text)
