"""Issue 18 §2: a document's text is kept beside it, sealed and indexed like the case's own
text: plain and full-text searchable for a standard case, encrypted and found through the
blind index for a sensitive one; gone with the content at retention (both engines)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import AttachmentKind
from storage.models import Attachment, CaseSearchToken
from storage.repositories.filters import CaseFilter
from storage.services.attachments import AttachmentService, StagedAttachment
from storage.services.intake import IntakeService
from storage.services.retention import RetentionService
from storage.services.search_index import reindex
from storage.services.triage import TriageService
from storage.services.worklist import Worklist
from tests.storage.helpers import TO_CLOSED, make_staff, submit, walk_case
from tgemu import samples


async def staged_pdf(core: Core, words: str) -> StagedAttachment:
    return await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="application/pdf", data=samples.pdf(words)
    )


async def found(core: Core, actor: Actor, query: str) -> set[str]:
    async with core.database.transaction() as session:
        page = await Worklist(session, core).page(actor, CaseFilter(), query=query, limit=50)
    return {c.ref for c in page.items}


async def stored_texts(core: Core) -> list[tuple[str | None, bytes | None]]:
    async with core.database.transaction() as session:
        rows = await session.execute(select(Attachment.text, Attachment.text_enc))
        return [(row[0], row[1]) for row in rows.all()]


async def test_the_words_of_a_pdf_find_its_case(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    with_file = await submit(
        core, narrative="See the scan.", attachments=[await staged_pdf(core, "Generator broken")]
    )
    await submit(core, narrative="Nothing about machines.")
    assert await found(core, operator, "generator") == {with_file.ref}
    assert await found(core, operator, "generator broken") == {with_file.ref}
    assert await found(core, operator, "generator machines") == set()
    assert await stored_texts(core) == [("Generator broken", None)]


async def test_the_words_of_a_file_added_later_find_its_case(core: Core) -> None:
    operator = await make_staff(core, "oper", "operator")
    made = await submit(core, narrative="First part.")
    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(made.ref, operator, audit_read=False)
        await IntakeService(session, core).add_reporter_info(
            case.id, text="", attachments=[await staged_pdf(core, "Warehouse receipt")]
        )
    assert await found(core, operator, "warehouse") == {made.ref}


async def test_a_sensitive_cases_file_text_is_sealed_and_blind_indexed(core: Core) -> None:
    focal = await make_staff(core, "focal", "focal_point")
    operator = await make_staff(core, "oper", "operator")
    made = await submit(
        core,
        category="fraud_corruption",
        narrative="Attached.",
        attachments=[await staged_pdf(core, "Bribe demanded")],
    )
    [(plain, sealed)] = await stored_texts(core)
    assert plain is None and sealed is not None and b"Bribe" not in sealed
    assert await found(core, focal, "bribe") == {made.ref}
    assert await found(core, operator, "bribe") == set()
    # Rebuilt from scratch (after a key rotation), the index still holds the file's words.
    async with core.database.transaction() as session:
        await reindex(session, core, fresh=True)
    assert await found(core, focal, "bribe demanded") == {made.ref}


async def test_the_text_goes_with_the_content_at_retention(core: Core, clock: FrozenClock) -> None:
    operator = await make_staff(core, "oper", "operator")
    focal = await make_staff(core, "focal", "focal_point")
    standard = await submit(core, attachments=[await staged_pdf(core, "Generator broken")])
    sensitive = await submit(
        core, category="fraud_corruption", attachments=[await staged_pdf(core, "Bribe")]
    )
    for ref in (standard.ref, sensitive.ref):
        await walk_case(core, ref, focal, *TO_CLOSED)
    clock.advance(timedelta(days=400))
    async with core.database.transaction() as session:
        await RetentionService(session, core).purge()
    assert await stored_texts(core) == []
    assert await found(core, operator, "generator") == set()
    async with core.database.transaction() as session:
        assert (await session.scalars(select(CaseSearchToken))).all() == []
