"""Partners, referrals, outcomes, the child flag and duplicates over HTTP (issue 22 §3),
with real tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from typing import Any

import httpx
import pytest

from storage.enums import Status
from tests.admin_api.helpers import Api, version_of
from tests.storage.helpers import submit, walk_case

V1 = "/api/v1"
SENSITIVE = "sexual_exploitation"


async def patch(api: Api, ref: str, body: dict[str, Any], who: str = "operator") -> httpx.Response:
    version = await version_of(api.core, ref)
    return await api.call(
        "PATCH", f"{V1}/cases/{ref}", who, json=body, headers={"If-Match": f'"{version}"'}
    )


async def add_partner(api: Api, name: str, child_protection: bool = False) -> int:
    response = await api.call(
        "POST", f"{V1}/partners", "admin", json={"name": name, "child_protection": child_protection}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_partners_are_kept_by_administrators_and_read_by_all(staffed: Api) -> None:
    api = staffed
    made = await add_partner(api, "Служба у справах дітей", child_protection=True)
    for role in ("operator", "focal_point", "analyst"):
        refused = await api.call("POST", f"{V1}/partners", role, json={"name": "NGO"})
        assert refused.status_code == 403, role
        listed = await api.call("GET", f"{V1}/partners", role)
        assert [p["name"] for p in listed.json()["items"]] == ["Служба у справах дітей"]
    assert (await api.call("GET", f"{V1}/partners")).status_code == 401
    again = await api.call(
        "POST", f"{V1}/partners", "admin", json={"name": "Служба у справах дітей"}
    )
    assert again.status_code == 409 and again.json()["code"] == "duplicate_partner"
    for body in ({"name": ""}, {"name": "x" * 121}, {"name": "ok", "colour": "red"}, {}):
        response = await api.call("POST", f"{V1}/partners", "admin", json=body)
        assert response.status_code == 422, body
    retired = await api.call("PATCH", f"{V1}/partners/{made}", "admin", json={"active": False})
    assert retired.status_code == 200 and retired.json()["active"] is False
    missing = await api.call("PATCH", f"{V1}/partners/99999", "admin", json={"active": False})
    assert missing.status_code == 404 and missing.json()["code"] == "partner_not_found"


async def test_refer_with_consent_then_close_with_an_outcome(staffed: Api) -> None:
    api = staffed
    partner = await add_partner(api, "Правова допомога")
    ref = (await submit(api.core)).ref
    await walk_case(api.core, ref, api.actors["operator"], Status.ACKNOWLEDGED)
    response = await api.call(
        "POST",
        f"{V1}/cases/{ref}/referrals",
        "operator",
        json={"partner_id": partner, "consent": "given", "note": "Юрист зателефонує"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["partner_name"] == "Правова допомога"
    assert response.json()["consent"] == "given"
    case = (await api.call("GET", f"{V1}/cases/{ref}", "operator")).json()
    assert case["status"] == "referred" and case["referral_target"] == "Правова допомога"
    assert case["referral_target_id"] == partner
    assert [r["note"] for r in case["referrals"]] == ["Юрист зателефонує"]
    assert (await patch(api, ref, {"status": "resolved"})).status_code == 200
    closed = await patch(api, ref, {"status": "closed", "outcome": "referred"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["outcome"] == "referred"
    events = (await api.call("GET", f"{V1}/cases/{ref}/events", "operator")).json()["items"]
    assert "case.referred" in [e["action"] for e in events]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"partner_id": 99999, "consent": "given"}, 422, "unknown_partner"),
        ({"partner_id": 1, "consent": "maybe"}, 422, "validation_error"),
        ({"partner_id": 1}, 422, "validation_error"),
        ({"partner_id": 0, "consent": "given"}, 422, "validation_error"),
        ({"partner_id": 1, "consent": "given", "note": "x" * 2001}, 422, "validation_error"),
        ({"partner_id": 1, "consent": "given", "note": "a\x00b"}, 422, "validation_error"),
    ],
)
async def test_bad_referrals_are_refused(
    staffed: Api, body: dict[str, Any], status: int, code: str
) -> None:
    api = staffed
    await add_partner(api, "NGO")
    ref = (await submit(api.core)).ref
    response = await api.call("POST", f"{V1}/cases/{ref}/referrals", "operator", json=body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


async def test_roles_without_case_work_cannot_refer(staffed: Api) -> None:
    api = staffed
    partner = await add_partner(api, "NGO")
    ref = (await submit(api.core)).ref
    sealed = (await submit(api.core, category=SENSITIVE)).ref
    for role in ("analyst", "admin"):
        response = await api.call(
            "POST",
            f"{V1}/cases/{ref}/referrals",
            role,
            json={"partner_id": partner, "consent": "given"},
        )
        assert response.status_code == 403
    hidden = await api.call(
        "POST",
        f"{V1}/cases/{sealed}/referrals",
        "operator",
        json={"partner_id": partner, "consent": "given"},
    )
    assert hidden.status_code == 404


async def test_a_sealed_case_needs_an_outcome_to_close(staffed: Api) -> None:
    api = staffed
    ref = (await submit(api.core, category=SENSITIVE)).ref
    focal = api.actors["focal_point"]
    await walk_case(api.core, ref, focal, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED)
    refused = await patch(api, ref, {"status": "closed"}, "focal_point")
    assert refused.status_code == 422 and refused.json()["code"] == "outcome_required"
    bad = await patch(api, ref, {"status": "closed", "outcome": "fine"}, "focal_point")
    assert bad.status_code == 422
    duplicate = await patch(api, ref, {"status": "closed", "outcome": "duplicate"}, "focal_point")
    assert duplicate.status_code == 422
    assert duplicate.json()["code"] == "outcome_only_when_closed"
    closed = await patch(api, ref, {"status": "closed", "outcome": "out_of_scope"}, "focal_point")
    assert closed.status_code == 200 and closed.json()["outcome"] == "out_of_scope"


async def test_a_child_case_and_the_focal_points_reason(staffed: Api) -> None:
    api = staffed
    ref = (await submit(api.core)).ref
    marked = await patch(api, ref, {"status": "acknowledged", "child_involved": True})
    assert marked.status_code == 200 and marked.json()["child_involved"] is True
    for status in ("in_progress", "resolved"):
        assert (await patch(api, ref, {"status": status})).status_code == 200
    blocked = await patch(api, ref, {"status": "closed", "outcome": "resolved"})
    assert blocked.status_code == 409 and blocked.json()["code"] == "child_referral_missing"
    path = f"{V1}/cases/{ref}/child-protection-waiver"
    reason = {"reason": "Дитина вже під опікою служби"}
    assert (await api.call("POST", path, "operator", json=reason)).status_code == 403
    assert (await api.call("POST", path, "focal_point", json={"reason": ""})).status_code == 422
    waived = await api.call("POST", path, "focal_point", json=reason)
    assert waived.status_code == 201, waived.text
    closed = await patch(api, ref, {"status": "closed", "outcome": "resolved"})
    assert closed.status_code == 200
    assert closed.json()["child_waiver_note"] == waived.json()["id"]


async def test_waiting_for_the_reporter_over_http(staffed: Api) -> None:
    api = staffed
    ref = (await submit(api.core)).ref
    await walk_case(api.core, ref, api.actors["operator"], Status.ACKNOWLEDGED)
    waiting = await patch(api, ref, {"status": "waiting"})
    assert waiting.status_code == 200
    assert waiting.json()["waiting_since"] is not None
    assert "closed" in waiting.json()["allowed_statuses"]
    listed = await api.call("GET", f"{V1}/cases", "operator", params={"status": "waiting"})
    assert [c["ref"] for c in listed.json()["items"]] == [ref]


async def test_mark_a_duplicate_over_http(staffed: Api) -> None:
    api = staffed
    kept = (await submit(api.core)).ref
    duplicate = (await submit(api.core)).ref
    path = f"{V1}/cases/{duplicate}/duplicate-of"
    version = await version_of(api.core, duplicate)
    no_match = await api.call("POST", path, "operator", json={"of": kept})
    assert no_match.status_code == 428
    stale = await api.call(
        "POST", path, "operator", json={"of": kept}, headers={"If-Match": '"99"'}
    )
    assert stale.status_code == 412
    bad = await api.call(
        "POST", path, "operator", json={"of": "nonsense"}, headers={"If-Match": f'"{version}"'}
    )
    assert bad.status_code == 422
    itself = await api.call(
        "POST", path, "operator", json={"of": duplicate}, headers={"If-Match": f'"{version}"'}
    )
    assert itself.status_code == 409 and itself.json()["code"] == "not_a_duplicate"
    done = await api.call(
        "POST", path, "operator", json={"of": kept}, headers={"If-Match": f'"{version}"'}
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"]) == ("closed", "duplicate")
    assert done.headers["ETag"] == f'"{done.json()["version"]}"'
    kept_case = (await api.call("GET", f"{V1}/cases/{kept}", "operator")).json()
    assert kept_case["duplicates"] == [duplicate]
    dup_case = (await api.call("GET", f"{V1}/cases/{duplicate}", "operator")).json()
    assert dup_case["duplicate_of"] == kept


# Figures and exports -------------------------------------------------------------------


async def closed_with(
    api: Api, ref: str, who: str, outcome: str, partner: int | None = None
) -> None:
    actor = api.actors[who]
    await walk_case(api.core, ref, actor, Status.ACKNOWLEDGED)
    if partner is not None:
        response = await api.call(
            "POST",
            f"{V1}/cases/{ref}/referrals",
            who,
            json={"partner_id": partner, "consent": "given"},
        )
        assert response.status_code == 201
    else:
        await walk_case(api.core, ref, actor, Status.IN_PROGRESS)
    await walk_case(api.core, ref, actor, Status.RESOLVED)
    closed = await patch(api, ref, {"status": "closed", "outcome": outcome}, who)
    assert closed.status_code == 200, closed.text


async def test_outcomes_and_referral_targets_in_stats_and_export(staffed: Api) -> None:
    api = staffed
    partner = await add_partner(api, "Правова допомога")
    referred = (await submit(api.core)).ref
    resolved = (await submit(api.core)).ref
    sealed = (await submit(api.core, category=SENSITIVE)).ref
    kept = (await submit(api.core)).ref
    duplicate = (await submit(api.core)).ref
    await closed_with(api, referred, "operator", "referred", partner)
    await closed_with(api, resolved, "operator", "resolved")
    await closed_with(api, sealed, "focal_point", "referred", partner)
    version = await version_of(api.core, duplicate)
    marked = await api.call(
        "POST",
        f"{V1}/cases/{duplicate}/duplicate-of",
        "operator",
        json={"of": kept},
        headers={"If-Match": f'"{version}"'},
    )
    assert marked.status_code == 200

    async def groups(who: str, group_by: str) -> dict[str, int]:
        response = await api.call("GET", f"{V1}/stats", who, params={"group_by": group_by})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["duplicates"] == 1  # apart, never in the groups
        return {g["key"]: g["cases"]["received"] for g in body["groups"]}

    # The kept case counts once, the duplicate only apart.
    assert await groups("focal_point", "outcome") == {"referred": 2, "resolved": 1, "none": 1}
    assert await groups("focal_point", "referral_target") == {"Правова допомога": 2, "none": 2}
    # Analysts see the sealed case only as the one sensitive group; operators not at all.
    assert await groups("analyst", "outcome") == {
        "referred": 1,
        "resolved": 1,
        "none": 1,
        "sensitive": 1,
    }
    assert await groups("analyst", "referral_target") == {
        "Правова допомога": 1,
        "none": 2,
        "sensitive": 1,
    }
    assert await groups("operator", "outcome") == {"referred": 1, "resolved": 1, "none": 1}
    bad = await api.call("GET", f"{V1}/stats", "analyst", params={"group_by": "outcomes"})
    assert bad.status_code == 422

    async def exported(who: str) -> dict[str, dict[str, str]]:
        response = await api.call("GET", f"{V1}/export", who, params={"format": "csv"})
        assert response.status_code == 200
        lines = response.content.decode("utf-8-sig").splitlines()
        rows = list(csv.DictReader(lines))
        return {row["Reference"]: row for row in rows}

    focal = await exported("focal_point")
    # The outcome's name in the file's language, its code beside it.
    assert (
        focal[referred]["Outcome"],
        focal[referred]["Outcome code"],
        focal[referred]["Referred to"],
    ) == ("Referred", "referred", "Правова допомога")
    assert focal[sealed]["Outcome code"] == "referred"
    assert (focal[duplicate]["Outcome"], focal[duplicate]["Outcome code"]) == (
        "Duplicate",
        "duplicate",
    )
    assert focal[duplicate]["Duplicate of"] == kept
    assert sealed not in await exported("analyst")
