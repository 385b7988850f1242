"""Documents stored before issue 18 were cleaned, not rebuilt: they are served as ``.bin``
until ``holos files rebuild`` makes them anew (flattened, rebuilt), as new ones are."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from storage.access import Actor
from storage.clock import MINUTE, floor_to
from storage.core import Core
from storage.enums import AttachmentKind, AuditAction
from storage.models import Attachment, AuditEvent, Case
from storage.sealed import Context
from storage.services.file_rebuild import rebuild_stored_documents
from storage.services.triage import TriageService
from tests.storage.helpers import make_staff, submit
from tests.storage.media.attacks import ATTACKER, HTA, docx_attack, pdf_attack
from tgemu import samples

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def stored_as_before(core: Core, ref: str, files: list[tuple[str, str, bytes]]) -> None:
    """Rows and blobs as the previous version left them: the original bytes (its
    cleaning kept external links and actions), ``rebuilt`` false."""
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        for kind, mime_type, data in files:
            key = core.blobs.new_key()
            await core.blobs.put(key, core.crypto.encrypt(data, Context.BLOB))
            session.add(
                Attachment(
                    case_id=case.id,
                    kind=kind,
                    mime_type=mime_type,
                    size_bytes=len(data),
                    blob_key=key,
                    metadata_stripped=True,
                    rebuilt=False,
                    created_at=floor_to(core.clock.now(), MINUTE),
                )
            )


async def served(core: Core, ref: str, actor: Actor) -> list[tuple[str, str, bytes]]:
    out = []
    async with core.database.read_scope() as session:
        detail = await TriageService(session, core).detail(ref, actor)
        for view in detail.attachments:
            opened, data = await TriageService(session, core).open_attachment(ref, view.id, actor)
            out.append((opened.name, opened.served_type, data))
    return out


async def test_old_documents_are_served_as_bin_until_rebuilt(core: Core) -> None:
    focal = await make_staff(core, "focal", "focal_point")
    made = await submit(core, category="fraud_corruption", narrative="Files follow.")
    await stored_as_before(
        core,
        made.ref,
        [
            (AttachmentKind.PHOTO, "image/jpeg", samples.jpeg_with_exif()),
            (AttachmentKind.DOCUMENT, "application/pdf", pdf_attack()),
            (AttachmentKind.DOCUMENT, DOCX, docx_attack()),
            (AttachmentKind.DOCUMENT, "text/plain", HTA),
        ],
    )
    before = await served(core, made.ref, focal)
    assert [(name, kind) for name, kind, _ in before] == [
        ("photo-1.jpg", "image/jpeg"),  # photos were always re-encoded from their pixels
        ("document-2.bin", "application/octet-stream"),
        ("document-3.bin", "application/octet-stream"),
        ("document-4.bin", "application/octet-stream"),
    ]
    old_keys = set(
        (await _rows(core, "blob_key"))[1:],
    )

    report = await rebuild_stored_documents(core)
    assert (report.rebuilt, dict(report.refused)) == (2, {"executable": 1})

    after = await served(core, made.ref, focal)
    assert [(name, kind) for name, kind, _ in after] == [
        ("photo-1.jpg", "image/jpeg"),
        ("document-2.pdf", "application/pdf"),
        ("document-3.docx", DOCX),
        ("document-4.bin", "application/octet-stream"),  # a program stays unopenable
    ]
    pdf, docx = after[1][2], after[2][2]
    assert b"/JavaScript" not in pdf and ATTACKER.encode() not in pdf
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        assert not any(ATTACKER.encode() in archive.read(name) for name in archive.namelist())
    # The old copies are gone; the rebuilt ones are under new keys.
    for key in old_keys - {(await _rows(core, "blob_key"))[3]}:
        assert not await core.blobs.exists(key)
    # Their words are kept by the case's rule (sealed: a sensitive case) and audited.
    texts = await _rows(core, "text_enc")
    assert texts[1] is not None and texts[2] is not None and texts[3] is None
    async with core.database.transaction() as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == AuditAction.ATTACHMENT_REBUILT)
            )
        ).all()
    assert len(events) == 2 and all(e.case_ref == made.ref for e in events)

    again = await rebuild_stored_documents(core)
    assert (again.rebuilt, dict(again.refused)) == (0, {"executable": 1})


async def _rows(core: Core, column: str) -> list[object]:
    async with core.database.transaction() as session:
        rows = await session.execute(select(getattr(Attachment, column)).order_by(Attachment.id))
        return [row[0] for row in rows.all()]
