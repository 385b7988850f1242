"""The per-case choice of sending a sealed case's replies word for word to the reporter's
chat (issue 21, answers safe on a lock screen), over HTTP with real tokens and in the
outbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx

from storage.enums import ContactMode, Language, OutboxKind
from storage.services.intake import ContactChoice
from storage.services.outbox import OutboxService
from storage.services.triage import TriageService
from tests.admin_api.helpers import Api, version_of
from tests.storage.helpers import submit

V1 = "/api/v1"
SENSITIVE = "sexual_exploitation"
CHAT = ContactChoice(ContactMode.CHAT, chat_id=777000111)


async def patch(api: Api, ref: str, body: dict[str, Any], who: str) -> httpx.Response:
    version = await version_of(api.core, ref)
    return await api.call(
        "PATCH", f"{V1}/cases/{ref}", who, json=body, headers={"If-Match": f'"{version}"'}
    )


async def claimed_text(api: Api, ref: str) -> str | None:
    """What the delivery worker would send for the case's newest reply."""
    async with api.core.database.transaction() as session:
        await TriageService(session, api.core).add_reply(
            ref, api.actors["focal_point"], {Language.UK: "Слідчий зателефонує у вівторок"}
        )
    async with api.core.database.transaction() as session:
        deliveries = await OutboxService(session, api.core).claim()
    (delivery,) = [d for d in deliveries if d.kind is OutboxKind.REPLY]
    return delivery.text


async def test_a_focal_point_chooses_full_text_per_sealed_case(staffed: Api) -> None:
    api = staffed
    ref = (await submit(api.core, category=SENSITIVE, contact=CHAT)).ref
    shown = await api.call("GET", f"{V1}/cases/{ref}", "focal_point")
    assert shown.json()["reply_full_text"] is False
    # By default the chat gets the neutral notice: no text leaves for Telegram.
    assert await claimed_text(api, ref) is None

    chosen = await patch(api, ref, {"reply_full_text": True}, "focal_point")
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["reply_full_text"] is True
    assert await claimed_text(api, ref) == "Слідчий зателефонує у вівторок"
    events = (await api.call("GET", f"{V1}/cases/{ref}/events", "focal_point")).json()["items"]
    changed = [e for e in events if "reply_full_text" in (e.get("after") or {})]
    assert len(changed) == 1 and changed[0]["after"]["reply_full_text"] is True
    assert changed[0]["before"]["reply_full_text"] is False

    back = await patch(api, ref, {"reply_full_text": False}, "focal_point")
    assert back.status_code == 200 and back.json()["reply_full_text"] is False
    assert await claimed_text(api, ref) is None


async def test_bad_choices_are_refused(staffed: Api) -> None:
    api = staffed
    ref = (await submit(api.core, category=SENSITIVE, contact=CHAT)).ref
    # Operators never see a sealed case, so they cannot choose for it.
    hidden = await patch(api, ref, {"reply_full_text": True}, "operator")
    assert hidden.status_code == 404
    for value in ("yes", 1, [True]):
        refused = await patch(api, ref, {"reply_full_text": value}, "focal_point")
        assert refused.status_code == 422, value
    version = await version_of(api.core, ref)
    await patch(api, ref, {"priority": "high"}, "focal_point")
    stale = await api.call(
        "PATCH",
        f"{V1}/cases/{ref}",
        "focal_point",
        json={"reply_full_text": True},
        headers={"If-Match": f'"{version}"'},
    )
    assert stale.status_code == 412
    shown = await api.call("GET", f"{V1}/cases/{ref}", "focal_point")
    assert shown.json()["reply_full_text"] is False


async def test_a_standard_case_always_gets_the_full_text(staffed: Api) -> None:
    api = staffed
    ref = (await submit(api.core, contact=CHAT)).ref
    assert await claimed_text(api, ref) == "Слідчий зателефонує у вівторок"
