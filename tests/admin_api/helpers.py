"""Builders for API tests: cases with files, versions, audit events as stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.core import Core
from storage.enums import AttachmentKind
from storage.models import Attachment, AuditEvent, Case
from storage.services.attachments import AttachmentService
from storage.services.intake import SubmittedCase
from tests.storage.helpers import submit

UNKNOWN_REF = "HL-7K2M-9QXD-R"  # well formed, with a right check character


async def submit_with_file(
    core: Core,
    *,
    data: bytes = b"a scanned receipt",
    filename: str | None = "receipt.txt",
    **kw: Any,
) -> SubmittedCase:
    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="text/plain", data=data, filename=filename
    )
    return await submit(core, attachments=[staged], **kw)


async def case_row(core: Core, ref: str) -> Case:
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == ref))
        assert case is not None
        return case


async def version_of(core: Core, ref: str) -> int:
    return (await case_row(core, ref)).version


async def attachment_id(core: Core, ref: str) -> str:
    """The file's public id, as the API and the console show it."""
    case = await case_row(core, ref)
    async with core.database.transaction() as session:
        found = await session.scalar(
            select(Attachment.public_id).where(Attachment.case_id == case.id)
        )
        assert found is not None
        return found


async def audit_events(core: Core, *, after_id: int = 0) -> list[AuditEvent]:
    async with core.database.transaction() as session:
        stmt = select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)
        return list((await session.scalars(stmt)).all())


async def last_event_id(core: Core) -> int:
    events = await audit_events(core)
    return events[-1].id if events else 0
