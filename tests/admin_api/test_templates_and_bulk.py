"""Reply templates and bulk changes over HTTP, with real tokens."""

from __future__ import annotations

import asyncio

from tests.admin_api.helpers import Api, audit_events, last_event_id, version_of
from tests.storage.helpers import submit

V1 = "/api/v1"


async def test_templates_kept_by_admins_and_focal_points(staffed: Api) -> None:
    api = staffed
    since = await last_event_id(api.core)
    body = {"name": "Thanks", "language": "ru", "text": "Спасибо за обращение от {date}."}
    assert (
        await api.call("POST", f"{V1}/reply-templates", "operator", json=body)
    ).status_code == 403
    created = await api.call("POST", f"{V1}/reply-templates", "focal_point", json=body)
    assert created.status_code == 201, created.text
    template = created.json()
    assert {k: template[k] for k in ("name", "language", "text")} == body
    again = await api.call("POST", f"{V1}/reply-templates", "admin", json=body)
    assert again.status_code == 409 and again.json()["code"] == "duplicate_template"

    listed = await api.call("GET", f"{V1}/reply-templates", "operator")
    assert [t["id"] for t in listed.json()["items"]] == [template["id"]]

    path = f"{V1}/reply-templates/{template['id']}"
    changed = await api.call("PATCH", path, "admin", json={"text": "Спасибо, {topic}."})
    assert changed.status_code == 200 and changed.json()["text"] == "Спасибо, {topic}."
    assert (await api.call("PATCH", path, "operator", json={"text": "x"})).status_code == 403
    assert (await api.call("DELETE", path, "admin")).status_code == 204
    assert (await api.call("DELETE", path, "admin")).status_code == 404
    events = await audit_events(api.core, after_id=since)
    assert [e.action for e in events] == [
        "reply_template.created",
        "reply_template.updated",
        "reply_template.deleted",
    ]


async def test_template_bad_input(staffed: Api) -> None:
    api = staffed
    url = f"{V1}/reply-templates"
    bad = [
        {"name": "X", "language": "de", "text": "Danke"},
        {"name": "", "language": "uk", "text": "Дякуємо"},
        {"name": "X", "language": "uk", "text": ""},
        {"name": "X", "language": "uk", "text": "я" * 3501},
        {"name": "X", "language": "uk", "text": "ok", "extra": 1},
        {"name": "X", "language": "uk"},
    ]
    for body in bad:
        response = await api.call("POST", url, "admin", json=body)
        assert response.status_code == 422, (body, response.text)
    # Only blanks: valid to the schema, empty to the service.
    response = await api.call(
        "POST", url, "admin", json={"name": "X", "language": "uk", "text": " "}
    )
    assert response.status_code == 422 and response.json()["code"] == "empty_text"
    assert (await api.call("GET", url, "admin")).json()["items"] == []


async def test_bulk_acknowledge_reports_the_case_changed_meanwhile(staffed: Api) -> None:
    api = staffed
    cases = [await submit(api.core) for _ in range(5)]
    # A colleague changes the fourth after the operator's list was drawn.
    meanwhile = await api.call(
        "PATCH",
        f"{V1}/cases/{cases[3].ref}",
        "focal_point",
        json={"priority": "high"},
        headers={"If-Match": '"1"'},
    )
    assert meanwhile.status_code == 200
    since = await last_event_id(api.core)
    response = await api.call(
        "POST",
        f"{V1}/cases/bulk",
        "operator",
        json={"cases": [{"ref": c.ref, "version": 1} for c in cases], "action": "acknowledge"},
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["ref"], i["outcome"]) for i in items] == [
        (c.ref, "stale" if n == 3 else "changed") for n, c in enumerate(cases)
    ]
    assert [i["version"] for i in items if i["outcome"] == "changed"] == [2, 2, 2, 2]
    assert await version_of(api.core, cases[3].ref) == 2  # the colleague's change only
    events = await audit_events(api.core, after_id=since)
    assert sorted(e.case_ref for e in events if e.action == "case.updated") == sorted(
        c.ref for n, c in enumerate(cases) if n != 3
    )


async def test_bulk_bad_input(staffed: Api) -> None:
    api = staffed
    case = await submit(api.core)
    one = [{"ref": case.ref, "version": 1}]
    bad = [
        {"cases": [], "action": "acknowledge"},
        {"cases": one, "action": "close"},
        {"cases": one, "action": "priority"},
        {"cases": one, "action": "priority", "priority": "highest"},
        {"cases": one, "action": "tag"},
        {"cases": [{"ref": "not a ref", "version": 1}], "action": "acknowledge"},
        {"cases": [{"ref": case.ref, "version": 0}], "action": "acknowledge"},
        {"cases": one * 201, "action": "acknowledge"},
    ]
    for body in bad:
        response = await api.call("POST", f"{V1}/cases/bulk", "operator", json=body)
        assert response.status_code == 422, (body, response.text)
    response = await api.call(
        "POST", f"{V1}/cases/bulk", "operator", json={"cases": one, "action": "tag", "tag": "a b"}
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_tag"
    assert await version_of(api.core, case.ref) == 1


async def test_two_bulk_changes_from_the_same_list(staffed: Api) -> None:
    """Two people acknowledge and re-prioritise the same five cases from the same list at
    the same moment: each case takes exactly one of the two changes, and the other person
    is told which of theirs did not go through."""
    api = staffed
    cases = [await submit(api.core) for _ in range(5)]
    shown = [{"ref": c.ref, "version": 1} for c in cases]
    first, second = await asyncio.gather(
        api.call(
            "POST",
            f"{V1}/cases/bulk",
            "operator",
            json={"cases": shown, "action": "acknowledge"},
        ),
        api.call(
            "POST",
            f"{V1}/cases/bulk",
            "focal_point",
            json={"cases": shown, "action": "priority", "priority": "urgent"},
        ),
    )
    assert first.status_code == 200 and second.status_code == 200, (first.text, second.text)
    outcomes = {
        c.ref: (a["outcome"], b["outcome"])
        for c, a, b in zip(cases, first.json()["items"], second.json()["items"], strict=True)
    }
    for ref, pair in outcomes.items():
        assert sorted(pair) == ["changed", "stale"], (ref, pair)
        assert await version_of(api.core, ref) == 2
