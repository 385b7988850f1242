"""The API's worklist says what is new on each case for the reader (issue 21 §3)."""

from __future__ import annotations

from storage.access import Actor
from storage.services.intake import IntakeService
from storage.services.triage import CaseChanges, TriageService
from tests.admin_api.helpers import Api
from tests.storage.helpers import submit

V1 = "/api/v1"


async def news(api: Api, who: str) -> dict[str, list[str]]:
    response = await api.call("GET", f"{V1}/cases", who)
    assert response.status_code == 200
    return {item["ref"]: item["new_activity"] for item in response.json()["items"]}


async def test_new_activity_until_the_case_is_opened(staffed: Api) -> None:
    api = staffed
    core = api.core
    made = await submit(core)
    sealed = await submit(core, category="trafficking")
    assert await news(api, "operator") == {made.ref: []}
    async with core.database.transaction() as session:
        for ref in (made.ref, sealed.ref):
            case = await TriageService(session, core).get_visible(
                ref, Actor.staff(0, "system", "focal_point"), audit_read=False
            )
            await IntakeService(session, core).add_reporter_info(case.id, text="Ще одне")
        await TriageService(session, core).update(
            made.ref,
            api.actors["operator"],
            expected_version=None,
            changes=CaseChanges(set_assignee=True, assignee_id=api.actors["focal_point"].user_id),
        )
    assert await news(api, "operator") == {made.ref: ["reporter_added"]}
    assert await news(api, "focal_point") == {
        made.ref: ["assigned", "reporter_added"],
        sealed.ref: ["reporter_added"],
    }
    assert (await api.call("GET", f"{V1}/cases/{made.ref}", "focal_point")).status_code == 200
    assert await news(api, "focal_point") == {made.ref: [], sealed.ref: ["reporter_added"]}
    assert await news(api, "operator") == {made.ref: ["reporter_added"]}
