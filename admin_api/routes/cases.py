"""The worklist and one case: read, change, note, reply, trail, files (roles: docs/staff-and-cases.md).

Access is decided in storage: a sensitive case does not exist for a role that may not
see it (404), and a role without case work gets 403 before anything is looked up.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from admin_api.deps import ReadCaseWorkerDep, WriteCaseWorkerDep
from admin_api.errors import error_responses
from admin_api.preconditions import ETAG_HEADER, IfMatch, etag, expected_version
from admin_api.routes import API_PREFIX
from admin_api.schemas.audit import AuditEventOut, CaseEvents
from admin_api.schemas.cases import (
    REF_PATTERN,
    CaseDetailOut,
    CaseItem,
    CasePage,
    CasePatch,
    CaseSummary,
    NoteIn,
    NoteOut,
    ReplyIn,
    ReplyOut,
)
from admin_api.schemas.templates import BulkIn, BulkItemOut, BulkOut
from admin_api.schemas.worklist import WorklistParams
from admin_api.web.downloads import DOWNLOAD_HEADERS, content_disposition
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.refs import PUBLIC_ID_PATTERN
from storage.services.attachments import SERVED_TYPES
from storage.services.bulk import BulkChange, BulkTriage, Selected
from storage.services.triage import CaseChanges, CaseView, TriageService
from storage.services.worklist import Worklist

router = APIRouter(prefix=f"{API_PREFIX}/cases", tags=["cases"])

Ref = Annotated[str, Path(pattern=REF_PATTERN, description="Staff reference, e.g. HL-7K2M-9QXD-R.")]
AttachmentId = Annotated[str, Path(pattern=PUBLIC_ID_PATTERN, description="The file's id.")]


@router.get(
    "",
    response_model=CasePage,
    summary="Worklist",
    responses=error_responses(401, 403, 422),
)
async def worklist(
    params: Annotated[WorklistParams, Query()],
    principal: ReadCaseWorkerDep,
    session: ReadSessionDep,
    core: CoreDep,
) -> CasePage:
    """Cases you may see, filtered, searched, sorted and paged. No narratives here."""
    page = await Worklist(session, core).rows(
        principal.actor,
        params.worklist_filter(core.catalog, principal.user_id),
        query=params.q,
        sort=params.sort,
        cursor=params.cursor,
        limit=params.limit,
    )
    return CasePage(
        items=[CaseItem.model_validate(row) for row in page.items],
        next_cursor=page.next_cursor,
        total=page.total,
        total_capped=page.total_capped,
        match=page.match,
    )


@router.post(
    "/bulk",
    response_model=BulkOut,
    summary="Change many cases at once",
    responses=error_responses(401, 403, 413, 422),
)
async def bulk_change(
    body: BulkIn, principal: WriteCaseWorkerDep, session: WriteSessionDep, core: CoreDep
) -> BulkOut:
    """Assign, acknowledge, set the priority or add a tag, each case at the version you
    read. Each case is changed and audited on its own: one changed by someone else
    meanwhile comes back `stale` and is left alone, while the others go through."""
    result = await BulkTriage(session, core).apply(
        principal.actor,
        [Selected(c.ref, c.version) for c in body.cases],
        BulkChange(body.action, assignee_id=body.assignee_id, priority=body.priority, tag=body.tag),
    )
    return BulkOut(items=[BulkItemOut.model_validate(item) for item in result.items])


@router.get(
    "/{ref}",
    response_model=CaseDetailOut,
    summary="One case",
    responses={200: {"headers": ETAG_HEADER}, **error_responses(401, 403, 404, 422)},
)
async def get_case(
    ref: Ref,
    principal: ReadCaseWorkerDep,
    session: ReadSessionDep,
    core: CoreDep,
    response: Response,
) -> CaseDetailOut:
    """The case with what the reporter wrote, files, notes and replies. Reading a
    sensitive case is recorded in the audit log."""
    detail = await TriageService(session, core).detail(ref, principal.actor)
    response.headers["ETag"] = etag(detail.case.version)
    return CaseDetailOut.model_validate(detail)


@router.patch(
    "/{ref}",
    response_model=CaseSummary,
    summary="Change status, priority, assignee or tags",
    responses={
        200: {"headers": ETAG_HEADER},
        **error_responses(401, 403, 404, 409, 412, 413, 422, 428),
    },
)
async def update_case(
    ref: Ref,
    patch: CasePatch,
    principal: WriteCaseWorkerDep,
    session: WriteSessionDep,
    core: CoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> CaseSummary:
    """Needs If-Match with the current version: 412 when someone changed the case
    meanwhile, 409 for a status the case cannot move to or an assignee who cannot see it.
    Leave a field out to keep it; `"assignee_id": null` unassigns."""
    version = expected_version(if_match)
    changes = CaseChanges(
        status=patch.status,
        priority=patch.priority,
        set_assignee="assignee_id" in patch.model_fields_set,
        assignee_id=patch.assignee_id,
        tags=patch.tags,
    )
    case = await TriageService(session, core).update(
        ref, principal.actor, expected_version=version, changes=changes
    )
    response.headers["ETag"] = etag(case.version)
    return CaseSummary.model_validate(CaseView.at(case, core.clock.now()))


@router.post(
    "/{ref}/notes",
    status_code=201,
    response_model=NoteOut,
    summary="Add an internal note",
    responses=error_responses(401, 403, 404, 413, 422),
)
async def add_note(
    ref: Ref, body: NoteIn, principal: WriteCaseWorkerDep, session: WriteSessionDep, core: CoreDep
) -> NoteOut:
    """Staff only; never shown to the reporter."""
    note = await TriageService(session, core).add_note(ref, principal.actor, body.text)
    # The service stores the text stripped (encrypted for a sensitive case).
    return NoteOut(
        id=note.public_id,
        author_id=note.author_id,
        created_at=note.created_at,
        text=body.text.strip(),
    )


@router.post(
    "/{ref}/replies",
    status_code=201,
    response_model=ReplyOut,
    summary="Reply to the reporter",
    responses=error_responses(401, 403, 404, 409, 413, 422),
)
async def add_reply(
    ref: Ref, body: ReplyIn, principal: WriteCaseWorkerDep, session: WriteSessionDep, core: CoreDep
) -> ReplyOut:
    """A public reply, in one or more of uk, ru, en. The reporter reads it with their
    receipt code, and in their chat if they opted in (then `delivery` is `pending`)."""
    texts = body.texts.as_dict()
    reply = await TriageService(session, core).add_reply(ref, principal.actor, texts)
    return ReplyOut(
        id=reply.public_id,
        author_id=reply.author_id,
        created_at=reply.created_at,
        texts={lang: text.strip() for lang, text in texts.items()},
        delivery=reply.delivery,
    )


@router.get(
    "/{ref}/events",
    response_model=CaseEvents,
    summary="Audit trail of the case",
    responses=error_responses(401, 403, 404, 422),
)
async def case_events(
    ref: Ref, principal: ReadCaseWorkerDep, session: ReadSessionDep, core: CoreDep
) -> CaseEvents:
    events = await TriageService(session, core).events(ref, principal.actor)
    return CaseEvents(items=[AuditEventOut.model_validate(event) for event in events])


@router.get(
    "/{ref}/attachments/{attachment_id}",
    response_class=Response,
    summary="Download an attachment",
    responses={
        200: {
            "description": "The file, decrypted, as an attachment.",
            "content": {
                mime: {"schema": {"type": "string", "format": "binary"}} for mime in SERVED_TYPES
            },
        },
        **error_responses(401, 403, 404, 422),
    },
)
async def download_attachment(
    ref: Ref,
    attachment_id: AttachmentId,
    principal: ReadCaseWorkerDep,
    session: ReadSessionDep,
    core: CoreDep,
) -> Response:
    view, data = await TriageService(session, core).open_attachment(
        ref, attachment_id, principal.actor
    )
    return Response(
        content=data,
        media_type=view.served_type,
        headers={"Content-Disposition": content_disposition(view.name), **DOWNLOAD_HEADERS},
    )
