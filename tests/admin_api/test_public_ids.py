"""Nothing the API shows counts anything: case references are random, and attachments,
additions, notes, replies, audit events and page cursors carry no sequential key."""

from __future__ import annotations

import base64
import re

from sqlalchemy import select

from storage.enums import AttachmentKind, Language
from storage.models import Attachment, CaseAddition, Note, Reply
from storage.refs import canonical_ref
from storage.services.attachments import AttachmentService
from storage.services.intake import IntakeService
from tests.admin_api.helpers import Api, case_row, submit_with_file
from tests.storage.helpers import submit

V1 = "/api/v1"
PUBLIC_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{12}")


async def test_every_id_that_leaves_the_api_is_random(staffed: Api) -> None:
    api = staffed
    made = await submit_with_file(api.core, category="sexual_exploitation")
    assert canonical_ref(made.ref) == made.ref and not made.ref.startswith("HL-20")
    case = await case_row(api.core, made.ref)
    staged = await AttachmentService(api.core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="text/plain", data=b"more", filename="b.txt"
    )
    async with api.core.database.transaction() as session:
        await IntakeService(session, api.core).add_reporter_info(
            case.id, text="Ще одна деталь", attachments=[staged]
        )
    note = await api.call("POST", f"{V1}/cases/{made.ref}/notes", "focal_point", json={"text": "N"})
    reply = await api.call(
        "POST",
        f"{V1}/cases/{made.ref}/replies",
        "focal_point",
        json={"texts": {Language.UK.value: "Дякуємо"}},
    )
    assert note.status_code == reply.status_code == 201
    detail = (await api.call("GET", f"{V1}/cases/{made.ref}", "focal_point")).json()
    events = (await api.call("GET", f"{V1}/cases/{made.ref}/events", "focal_point")).json()
    shown = {
        "note": [note.json()["id"], *(n["id"] for n in detail["notes"])],
        "reply": [reply.json()["id"], *(r["id"] for r in detail["replies"])],
        "addition": [a["id"] for a in detail["additions"]],
        "attachment": [a["id"] for a in detail["attachments"]],
        "event": [e["id"] for e in events["items"]],
    }
    for kind, ids in shown.items():
        assert ids, kind
        for value in ids:
            assert isinstance(value, str) and PUBLIC_ID.fullmatch(value), (kind, value)
    # The ids are the stored public ids; an addition's files name the addition by its own.
    async with api.core.database.transaction() as session:
        for model, kind in (
            (Note, "note"),
            (Reply, "reply"),
            (CaseAddition, "addition"),
            (Attachment, "attachment"),
        ):
            stored = set((await session.scalars(select(model.public_id))).all())
            assert set(shown[kind]) <= stored, kind
    linked = [a for a in detail["attachments"] if a["addition_id"] is not None]
    assert [a["addition_id"] for a in linked] == shown["addition"]
    # Audit targets name the public id too.
    targets = {e["target"] for e in events["items"] if e["target"]}
    assert f"note:{note.json()['id']}" in targets
    added = [e for e in events["items"] if e["action"] == "case.reporter_added"]
    assert [e["after"]["addition_id"] for e in added] == shown["addition"]

    # Files are fetched by their public id (in any case); a numeric key finds nothing.
    file_id = shown["attachment"][0]
    path = f"{V1}/cases/{made.ref}/attachments"
    assert (await api.call("GET", f"{path}/{file_id}", "focal_point")).status_code == 200
    assert (await api.call("GET", f"{path}/{file_id.lower()}", "focal_point")).status_code == 200
    async with api.core.database.transaction() as session:
        numeric = await session.scalar(select(Attachment.id).where(Attachment.public_id == file_id))
    missing = await api.call("GET", f"{path}/{numeric}", "focal_point")
    assert missing.status_code == 404

    # The case is found however its reference is typed; a wrong check character is a 404.
    for typed in (made.ref.lower(), made.ref.replace("-", "")):
        assert (await api.call("GET", f"{V1}/cases/{typed}", "focal_point")).status_code == 200
    wrong = made.ref[:-1] + ("0" if made.ref[-1] != "0" else "1")
    response = await api.call("GET", f"{V1}/cases/{wrong}", "focal_point")
    assert (response.status_code, response.json()["code"]) == (404, "case_not_found")


async def test_page_cursors_are_opaque(staffed: Api) -> None:
    api = staffed
    for _ in range(3):
        await submit(api.core)
    for path in (f"{V1}/cases", f"{V1}/audit"):
        who = "operator" if path.endswith("cases") else "admin"
        page = (await api.call("GET", path, who, params={"limit": 1})).json()
        cursor = page["next_cursor"]
        assert cursor
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        # Encrypted: no JSON, no key, no time in it.
        assert b'"v"' not in raw and b"2026" not in raw
        following = await api.call("GET", path, who, params={"limit": 1, "cursor": cursor})
        assert following.status_code == 200
        assert following.json()["items"] != page["items"]
