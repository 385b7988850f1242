"""Reclassification over HTTP (issue 21 §1 and §6): into the sealed channel with If-Match,
404 from then on for the operator who moved it, stale saves refused, out with a reason."""

from __future__ import annotations

from typing import Any

import httpx

from tests.admin_api.helpers import Api, submit_with_file, version_of
from tests.storage.helpers import dump_rows, dump_text, submit

V1 = "/api/v1"
FILE_WORD = "tamarindlighthouse"


async def reclassify(
    api: Api, ref: str, who: str, body: dict[str, Any], if_match: str | None
) -> httpx.Response:
    headers = {"If-Match": if_match} if if_match is not None else {}
    return await api.call("POST", f"{V1}/cases/{ref}/reclassify", who, json=body, headers=headers)


async def test_an_operator_moves_a_case_into_the_sealed_channel(staffed: Api) -> None:
    api = staffed
    made = await submit_with_file(
        api.core,
        category="staff_conduct",
        narrative="He wants photos of my daughter for the food voucher",
        data=f"voucher list {FILE_WORD}".encode(),
    )
    listed = await api.call("GET", f"{V1}/cases", "operator")
    assert [c["ref"] for c in listed.json()["items"]] == [made.ref]
    version = (await api.call("GET", f"{V1}/cases/{made.ref}", "operator")).headers["ETag"]

    response = await reclassify(
        api,
        made.ref,
        "operator",
        {"category": "sexual_exploitation", "note": "Child, SEA: not staff conduct"},
        version,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "ref": made.ref,
        "category": "sexual_exploitation",
        "sensitive": True,
        "version": None,
        "still_visible": False,
    }
    assert "ETag" not in response.headers

    # No trace for the operator: not by URL, not in the list, the count or a search.
    for path in (f"{V1}/cases/{made.ref}", f"{V1}/cases/{made.ref}/events"):
        assert (await api.call("GET", path, "operator")).status_code == 404
    listed = await api.call("GET", f"{V1}/cases", "operator")
    assert listed.json()["items"] == [] and listed.json()["total"] == 0
    found = await api.call("GET", f"{V1}/cases", "operator", params={"q": "daughter"})
    assert found.json()["total"] == 0
    # Nor can they move it again or note it.
    again = await reclassify(api, made.ref, "operator", {"category": "trafficking"}, "*")
    assert again.status_code == 404

    # The focal point has all of it, the file's words found through the blind index.
    detail = await api.call("GET", f"{V1}/cases/{made.ref}", "focal_point")
    assert detail.status_code == 200
    body = detail.json()
    assert body["sensitive"] and body["priority"] == "urgent"
    assert body["narrative"].startswith("He wants photos")
    assert [n["text"] for n in body["notes"]] == ["Child, SEA: not staff conduct"]
    found = await api.call("GET", f"{V1}/cases", "focal_point", params={"q": FILE_WORD})
    assert [c["ref"] for c in found.json()["items"]] == [made.ref]
    events = await api.call("GET", f"{V1}/cases/{made.ref}/events", "focal_point")
    moved = [e for e in events.json()["items"] if e["action"] == "case.reclassified"]
    assert len(moved) == 1 and moved[0]["actor_name"] == "operator"
    # No plain copy anywhere in the rows (the full-text index's included).
    dump = dump_text(await dump_rows(api.core))
    assert "photos of my daughter" not in dump and FILE_WORD not in dump


async def test_stale_and_missing_versions(staffed: Api) -> None:
    api = staffed
    made = await submit(api.core, category="staff_conduct")
    version = await version_of(api.core, made.ref)
    changed = await api.call(
        "PATCH",
        f"{V1}/cases/{made.ref}",
        "focal_point",
        json={"status": "acknowledged"},
        headers={"If-Match": f'"{version}"'},
    )
    assert changed.status_code == 200
    stale = await reclassify(
        api, made.ref, "operator", {"category": "sexual_exploitation"}, f'"{version}"'
    )
    assert stale.status_code == 412 and stale.json()["code"] == "stale_version"
    missing = await reclassify(api, made.ref, "operator", {"category": "sexual_exploitation"}, None)
    assert missing.status_code == 428
    listed = await api.call("GET", f"{V1}/cases", "operator")
    assert [c["ref"] for c in listed.json()["items"]] == [made.ref]  # still standard


async def test_refusals(staffed: Api) -> None:
    api = staffed
    made = await submit(api.core, category="staff_conduct")
    etag = f'"{await version_of(api.core, made.ref)}"'
    cases = [
        ("operator", {"category": "assistance_quality"}, 403, "forbidden"),
        ("operator", {"category": "staff_conduct"}, 422, "same_category"),
        ("operator", {"category": "nonsense"}, 422, "unknown_category"),
        ("operator", {"category": "sexual_exploitation", "note": "x" * 20_000}, 422, None),
        ("analyst", {"category": "sexual_exploitation"}, 403, None),
    ]
    for who, body, status, code in cases:
        response = await reclassify(api, made.ref, who, body, etag)
        assert response.status_code == status, (who, body, response.text)
        if code is not None:
            assert response.json()["code"] == code
    assert await version_of(api.core, made.ref) == int(etag.strip('"'))


async def test_a_focal_point_moves_a_case_out_with_a_reason(staffed: Api) -> None:
    api = staffed
    made = await submit(api.core, category="fraud_corruption", narrative="Asked about the queue")
    etag = f'"{await version_of(api.core, made.ref)}"'
    refused = await reclassify(
        api, made.ref, "focal_point", {"category": "information_request"}, etag
    )
    assert refused.status_code == 422 and refused.json()["code"] == "reason_required"
    moved = await reclassify(
        api,
        made.ref,
        "focal_point",
        {"category": "information_request", "reason": "A question about the queue, no fraud"},
        etag,
    )
    assert moved.status_code == 200
    assert moved.json()["still_visible"] and not moved.json()["sensitive"]
    assert moved.headers["ETag"] == f'"{moved.json()["version"]}"'
    seen = await api.call("GET", f"{V1}/cases/{made.ref}", "operator")
    assert seen.status_code == 200 and seen.json()["narrative"] == "Asked about the queue"
