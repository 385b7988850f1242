"""The worklist and one case: read, change, note, reply, trail, files (roles: docs/staff-and-cases.md).

Access is decided in storage: a sensitive case does not exist for a role that may not
see it (404), and a role without case work gets 403 before anything is looked up.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Response

from admin_api.deps import ReadCaseWorkerDep, WriteCaseWorkerDep
from admin_api.errors import error_responses
from admin_api.preconditions import ETAG_HEADER, IfMatch, etag, expected_version
from admin_api.routes import API_PREFIX
from admin_api.schemas.audit import AuditEventOut, CaseEvents
from admin_api.schemas.cases import (
    REF_PATTERN,
    CaseDetailOut,
    CasePage,
    CasePatch,
    CaseSummary,
    DuplicateIn,
    ExclusionIn,
    ExclusionOut,
    NoteIn,
    NoteOut,
    ReclassifyIn,
    ReclassifyOut,
    ReferralIn,
    ReferralOut,
    ReplyIn,
    ReplyOut,
    WaiverIn,
    WorklistItem,
)
from admin_api.schemas.templates import BulkIn, BulkItemOut, BulkOut
from admin_api.schemas.worklist import WorklistParams
from admin_api.web.downloads import DOWNLOAD_HEADERS, content_disposition
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.refs import PUBLIC_ID_PATTERN
from storage.services.attachments import SERVED_TYPES
from storage.services.bulk import BulkChange, BulkTriage, Selected
from storage.services.exclusions import Exclusions
from storage.services.outcomes import OutcomeService
from storage.services.reclassify import Reclassification, forget_plain_copies
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
    worklist = Worklist(session, core)
    page = await worklist.rows(
        principal.actor,
        params.worklist_filter(core.catalog, principal.user_id),
        query=params.q,
        sort=params.sort,
        cursor=params.cursor,
        limit=params.limit,
    )
    news = await worklist.new_activity(principal.actor, [row["id"] for row in page.items])
    return CasePage(
        items=[
            WorklistItem.model_validate({**row, "new_activity": sorted(news.get(row["id"], ()))})
            for row in page.items
        ],
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
    detail = await TriageService(session, core).detail(ref, principal.actor, mark_seen=True)
    response.headers["ETag"] = etag(detail.case.version)
    return CaseDetailOut.model_validate(detail)


@router.patch(
    "/{ref}",
    response_model=CaseSummary,
    summary="Change status, priority, assignee, tags, outcome or the child flag",
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
    meanwhile, 409 for a status the case cannot move to, an assignee who cannot see it, or
    closing a case involving a child before a referral to child protection or a focal
    point's reason (`child_referral_missing`). Closing records an `outcome` (422
    `outcome_required` for a sealed case without one). Leave a field out to keep it;
    `"assignee_id": null` unassigns."""
    version = expected_version(if_match)
    changes = CaseChanges(
        status=patch.status,
        priority=patch.priority,
        set_assignee="assignee_id" in patch.model_fields_set,
        assignee_id=patch.assignee_id,
        tags=patch.tags,
        outcome=patch.outcome,
        child_involved=patch.child_involved,
        reply_full_text=patch.reply_full_text,
    )
    case = await TriageService(session, core).update(
        ref, principal.actor, expected_version=version, changes=changes
    )
    response.headers["ETag"] = etag(case.version)
    return CaseSummary.model_validate(CaseView.at(case, core.clock.now()))


@router.post(
    "/{ref}/reclassify",
    response_model=ReclassifyOut,
    summary="Move the case to another category (into or out of the sealed channel)",
    responses={
        200: {"headers": ETAG_HEADER},
        **error_responses(401, 403, 404, 412, 413, 422, 428),
    },
)
async def reclassify(
    ref: Ref,
    body: ReclassifyIn,
    principal: WriteCaseWorkerDep,
    session: WriteSessionDep,
    core: CoreDep,
    response: Response,
    background: BackgroundTasks,
    if_match: IfMatch = None,
) -> ReclassifyOut:
    """Needs If-Match like PATCH: 412 when someone changed the case meanwhile. Moved into
    the sealed channel, the case is sealed as if filed that way: an operator who moved it
    gets 404 for it from now on (`still_visible` false, no ETag). Moving it out of the
    sealed channel is for focal points, with a `reason`. The reporter is told nothing."""
    moved = await Reclassification(session, core).move(
        ref,
        principal.actor,
        expected_version=expected_version(if_match),
        category=body.category,
        note=body.note,
        reason=body.reason,
    )
    if moved.sealed:
        # After the commit (the route's scope ends before the answer is sent).
        background.add_task(forget_plain_copies, core)
    case = moved.case
    if moved.still_visible:
        response.headers["ETag"] = etag(case.version)
    return ReclassifyOut(
        ref=case.ref,
        category=case.category,
        sensitive=case.sensitive,
        version=case.version if moved.still_visible else None,
        still_visible=moved.still_visible,
    )


@router.post(
    "/{ref}/exclusions",
    status_code=201,
    response_model=ExclusionOut,
    summary="Keep a focal point away from the case (yourself: step back)",
    responses=error_responses(401, 403, 404, 409, 413, 422),
)
async def exclude(
    ref: Ref,
    body: ExclusionIn,
    principal: WriteCaseWorkerDep,
    session: WriteSessionDep,
    core: CoreDep,
) -> ExclusionOut:
    """Focal points only. From now on the case answers 404 to the focal point kept away,
    is not listed or counted for them, and they get no alerts about it. 409 when no other
    active focal point would still see the case."""
    done = await Exclusions(session, core).keep_away(ref, principal.actor, body.user_id)
    return ExclusionOut(user_id=done.user_id, kind=done.kind)


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


@router.post(
    "/{ref}/referrals",
    status_code=201,
    response_model=ReferralOut,
    summary="Record a referral to a partner",
    responses=error_responses(401, 403, 404, 413, 422),
)
async def add_referral(
    ref: Ref,
    body: ReferralIn,
    principal: WriteCaseWorkerDep,
    session: WriteSessionDep,
    core: CoreDep,
) -> ReferralOut:
    """To whom (a partner from `GET /api/v1/partners`), whether the person agreed
    (`given`, `refused`, `not_asked`: could not be asked) and an optional staff note. The
    case moves to `referred` when its status allows; 422 `unknown_partner` for a partner
    not in the list or retired."""
    view = await OutcomeService(session, core).refer(
        ref, principal.actor, partner_id=body.partner_id, consent=body.consent, note=body.note
    )
    return ReferralOut.model_validate(view)


@router.post(
    "/{ref}/duplicate-of",
    response_model=CaseSummary,
    summary="Close as a duplicate of another case",
    responses={
        200: {"headers": ETAG_HEADER},
        **error_responses(401, 403, 404, 409, 412, 413, 422, 428),
    },
)
async def mark_duplicate(
    ref: Ref,
    body: DuplicateIn,
    principal: WriteCaseWorkerDep,
    session: WriteSessionDep,
    core: CoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> CaseSummary:
    """Closes the case with the outcome `duplicate`, linked both ways to the case kept
    (`of`); the reporter's later additions go to the case kept, and the figures count it
    once. Needs If-Match; 409 `not_a_duplicate` for the case itself, a case that is itself
    a duplicate, a closed case, or a case in the other channel (sealed and standard)."""
    version = expected_version(if_match)
    case = await OutcomeService(session, core).mark_duplicate(
        ref, principal.actor, expected_version=version, kept_ref=body.of
    )
    response.headers["ETag"] = etag(case.version)
    return CaseSummary.model_validate(CaseView.at(case, core.clock.now()))


@router.post(
    "/{ref}/child-protection-waiver",
    status_code=201,
    response_model=NoteOut,
    summary="Write why a case involving a child has no child-protection referral",
    responses=error_responses(401, 403, 404, 413, 422),
)
async def waive_child_referral(
    ref: Ref, body: WaiverIn, principal: WriteCaseWorkerDep, session: WriteSessionDep, core: CoreDep
) -> NoteOut:
    """Focal points only (403 otherwise). The reason is kept as an internal note; the
    case may then close without a referral to child protection."""
    note = await OutcomeService(session, core).waive_child_referral(
        ref, principal.actor, body.reason
    )
    return NoteOut(
        id=note.public_id,
        author_id=note.author_id,
        created_at=note.created_at,
        text=body.reason.strip(),
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
