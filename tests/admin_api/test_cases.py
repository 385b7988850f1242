"""One case over HTTP: the full view, changes under If-Match, notes, replies, files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from storage.clock import FrozenClock
from storage.enums import ContactMode, Language
from storage.services.intake import ContactChoice, IntakeService
from storage.services.triage import TriageService
from tests.admin_api.helpers import Api, attachment_id, submit_with_file, version_of
from tests.storage.helpers import submit

V1 = "/api/v1"

# A chat id long enough never to turn up by chance in a random public id.
CHAT_ID = 7_310_482_915_306


async def patch(
    api: Api, ref: str, body: dict[str, Any], if_match: str, who: str = "operator"
) -> httpx.Response:
    return await api.call(
        "PATCH", f"{V1}/cases/{ref}", who, json=body, headers={"If-Match": if_match}
    )


async def test_the_whole_case(staffed: Api) -> None:
    api = staffed
    made = await submit_with_file(
        api.core,
        category="sexual_exploitation",
        narrative="Координатор вимагав зустрічі",
        contact=ContactChoice(mode=ContactMode.TYPED, typed="+380 67 123 45 67"),
    )
    async with api.core.database.transaction() as session:
        triage = TriageService(session, api.core)
        case = await triage.get_visible(made.ref, api.actors["focal_point"], audit_read=False)
        await IntakeService(session, api.core).add_reporter_info(
            case.id, text="Він телефонував ще раз"
        )
    await api.call(
        "POST", f"{V1}/cases/{made.ref}/notes", "focal_point", json={"text": "  Referred.  "}
    )
    reply = await api.call(
        "POST",
        f"{V1}/cases/{made.ref}/replies",
        "focal_point",
        json={"texts": {"uk": "Ми отримали ваше повідомлення.", "en": "We got it."}},
    )
    assert reply.status_code == 201
    assert reply.json()["texts"] == {"uk": "Ми отримали ваше повідомлення.", "en": "We got it."}
    assert reply.json()["delivery"] == "not_applicable"  # no chat to deliver to

    response = await api.call("GET", f"{V1}/cases/{made.ref}", "focal_point")
    assert response.status_code == 200
    body = response.json()
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert body["narrative"] == "Координатор вимагав зустрічі"  # decrypted for the reader
    assert body["contact"] == "+380 67 123 45 67"
    assert body["reply_in_chat"] is False
    assert [a["text"] for a in body["additions"]] == ["Він телефонував ще раз"]
    [attachment] = body["attachments"]
    # Named after its type and place, never after the reporter's "receipt.txt".
    assert attachment["filename"] == "document-1.txt" and attachment["mime_type"] == "text/plain"
    [note] = body["notes"]
    assert note["text"] == "Referred." and note["author_id"] == api.actors["focal_point"].user_id
    assert [r["texts"]["en"] for r in body["replies"]] == ["We got it."]
    assert body["allowed_statuses"] == ["acknowledged"]
    assert body["sla"]["acknowledge"]["state"] == "pending"
    assert body["sla"]["overdue"] is False
    assert body["sensitive"] is True and body["priority"] == "urgent"


async def test_changes_need_the_current_version(staffed: Api, clock: FrozenClock) -> None:
    api = staffed
    made = await submit(api.core)
    ref = made.ref
    operator = api.actors["operator"].user_id

    # Every accepted spelling of version 1.
    for if_match, body, version in (
        ('"1"', {"status": "acknowledged"}, 2),
        ("2", {"priority": "urgent"}, 3),
        ('W/"3"', {"tags": ["Food", "cash", "food"]}, 4),
    ):
        clock.advance(timedelta(seconds=1))  # see test_a_change_to_tags_alone_…_version
        response = await patch(api, ref, body, if_match)
        assert response.status_code == 200, response.text
        assert response.headers["ETag"] == f'"{version}"'
        assert response.json()["version"] == version
    assert response.json()["tags"] == ["cash", "food"]
    assert response.json()["status"] == "acknowledged" and response.json()["priority"] == "urgent"
    assert "narrative" not in response.json()  # a change answers with the summary

    # Absent leaves the assignee; null unassigns.
    response = await patch(api, ref, {"assignee_id": operator}, '"4"')
    assert response.json()["assignee_id"] == operator
    response = await patch(api, ref, {"priority": "high"}, '"5"')
    assert response.json()["assignee_id"] == operator
    response = await patch(api, ref, {"assignee_id": None}, '"6"')
    assert response.json()["assignee_id"] is None and response.json()["version"] == 7
    # An empty list clears the tags; null keeps them.
    response = await patch(api, ref, {"tags": None}, '"7"')
    assert response.json()["tags"] == ["cash", "food"] and response.json()["version"] == 7
    response = await patch(api, ref, {"tags": []}, '"7"')
    assert response.json()["tags"] == []

    # The ETag of a read is the version a change must send.
    etag = (await api.call("GET", f"{V1}/cases/{ref}", "operator")).headers["ETag"]
    assert etag == f'"{await version_of(api.core, ref)}"'
    assert (await patch(api, ref, {"status": "in_progress"}, etag)).status_code == 200


async def test_a_change_to_tags_alone_gives_a_new_version(staffed: Api) -> None:
    api = staffed
    ref = (await submit(api.core)).ref  # the clock stands still: same instant as intake
    response = await patch(api, ref, {"tags": ["cash"]}, '"1"')
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'


async def test_the_lifecycle_and_its_refusals(staffed: Api) -> None:
    api = staffed
    ref = (await submit(api.core)).ref
    steps = [
        ("resolved", 409),
        ("acknowledged", 200),
        ("new", 409),
        ("referred", 200),
        ("resolved", 200),
        ("closed", 200),
        ("resolved", 409),
        ("in_progress", 200),  # reopened
        ("resolved", 200),
    ]
    for status, expected in steps:
        version = await version_of(api.core, ref)
        response = await patch(api, ref, {"status": status}, f'"{version}"')
        assert response.status_code == expected, (status, response.text)
        if expected == 409:
            body = response.json()
            assert body["code"] == "illegal_transition"
            # The answer names where the case can go.
            current = (await api.call("GET", f"{V1}/cases/{ref}", "operator")).json()
            for allowed in current["allowed_statuses"]:
                assert allowed in body["detail"]
    final = (await api.call("GET", f"{V1}/cases/{ref}", "operator")).json()
    assert final["status"] == "resolved" and final["sla"]["resolve"]["state"] == "met"
    assert final["closed_at"] is None and final["allowed_statuses"] == ["closed", "in_progress"]


async def test_a_reply_to_a_reporter_who_opted_in_is_queued_for_their_chat(
    staffed: Api,
) -> None:
    api = staffed
    made = await submit(api.core, contact=ContactChoice(mode=ContactMode.CHAT, chat_id=CHAT_ID))
    response = await api.call(
        "POST", f"{V1}/cases/{made.ref}/replies", "operator", json={"texts": {"ru": "Спасибо"}}
    )
    assert response.status_code == 201
    assert response.json()["delivery"] == "pending"
    detail = (await api.call("GET", f"{V1}/cases/{made.ref}", "operator")).json()
    assert detail["reply_in_chat"] is True
    assert str(CHAT_ID) not in str({k: v for k, v in detail.items() if k not in {"version"}})
    assert detail["replies"][0]["texts"] == {"ru": "Спасибо"}
    assert Language.RU in {Language(k) for k in detail["replies"][0]["texts"]}


@pytest.mark.parametrize(
    "filename",
    [
        "receipt.txt",
        "receipt.pdf",  # a name that lies about the type changes nothing
        '../../etc/"passwd"\r\nX-Evil: 1',
        "квитанція Петренко.txt",
        None,
    ],
)
async def test_attachments_download_decrypted_and_named_by_their_type(
    staffed: Api, filename: str | None
) -> None:
    """Issue 18 §2: the served name and type come from what the file was detected as;
    nothing of the reporter's name (which can name them, or make Windows run it) is used
    or kept (a program's name is refused on arrival: tests/storage/test_attachments.py)."""
    api = staffed
    made = await submit_with_file(api.core, data=b"line one\nline two\n", filename=filename)
    file_id = await attachment_id(api.core, made.ref)
    response = await api.call("GET", f"{V1}/cases/{made.ref}/attachments/{file_id}", "operator")
    assert response.status_code == 200
    assert response.content == b"line one\nline two\n"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"] == 'attachment; filename="document-1.txt"'
    assert "X-Evil" not in response.headers
