"""One case: read it, triage it, note it, answer the reporter, follow its timeline.

Every change carries the version the page showed. Saving against a stale version
changes nothing and shows what changed meanwhile.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import HTMLResponse

from admin_api.console import labels
from admin_api.console.i18n import Texts, translations
from admin_api.console.routes.public_summary import publish_context
from admin_api.console.views import changes, clock_text
from admin_api.console.web import PREFIX, ConsoleRoute, Viewer, ViewerDep, error_text, go, render
from admin_api.deps import CoreDep, SessionDep
from admin_api.downloads import DOWNLOAD_HEADERS, content_disposition
from admin_api.schemas.cases import REF_PATTERN
from storage.core import Core
from storage.enums import Language, Priority, Status
from storage.errors import DomainError, InvalidInput, StaleVersion
from storage.media.types import IMAGE_TYPES
from storage.refs import PUBLIC_ID_PATTERN
from storage.services.console import StaffDirectory
from storage.services.triage import MAX_NOTE_CHARS, MAX_REPLY_CHARS, CaseChanges, TriageService

router = APIRouter(prefix=f"{PREFIX}/cases", route_class=ConsoleRoute, include_in_schema=False)

Ref = Annotated[str, Path(pattern=REF_PATTERN)]
# The header the bot puts above a staff reply in the reporter's chat (handlers' catalog).
REPLY_HEADER = "💬 <b>An answer to your report:</b>"


async def case_page(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    core: Core,
    ref: str,
    *,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    service = TriageService(session, core)
    detail = await service.detail(ref, viewer.actor)
    # One page, one look: detail() has recorded the read of a sensitive case.
    events = await service.events(ref, viewer.actor, audit_read=False)
    case = detail.case
    names = await StaffDirectory(session).names(
        [
            case.assignee_id,
            *(n.author_id for n in detail.notes),
            *(r.author_id for r in detail.replies),
            *(e.actor_id for e in events if e.actor_kind == "staff"),
        ]
    )
    for event in events:
        for side in (event.before or {}, event.after or {}):
            if isinstance(side.get("assignee_id"), int):
                names.setdefault(side["assignee_id"], f"#{side['assignee_id']}")
    now = core.clock.now()
    texts = viewer.texts
    return render(
        request,
        "case.html",
        texts,
        viewer,
        status_code=status_code,
        detail=detail,
        case=case,
        names=names,
        events=[(e, changes(e, texts, names)) for e in events],
        # How many events the page showed (oldest first), not an event's key: keys
        # would tell how many events exist in the whole trail.
        last_event_id=len(events),
        ack=clock_text(
            detail.sla.acknowledge.due_at,
            detail.sla.acknowledge.met_at,
            detail.sla.acknowledge.state,
            now,
            texts,
        ),
        res=clock_text(
            detail.sla.resolve.due_at,
            detail.sla.resolve.met_at,
            detail.sla.resolve.state,
            now,
            texts,
        ),
        assignees=await StaffDirectory(session).assignees(viewer.actor, sensitive=case.sensitive),
        priorities=[p.value for p in Priority],
        image_types=IMAGE_TYPES,
        reporter_language=case.language,
        max_reply=MAX_REPLY_CHARS,
        max_note=MAX_NOTE_CHARS,
        oblast_name=core.catalog.oblast(case.oblast).name(texts.language),
        programme_name=core.catalog.programme(case.programme).name(texts.language)
        if case.programme
        else None,
        **await publish_context(session, core, viewer, case),
        **extra,
    )


@router.get("/{ref}")
async def show(
    request: Request, ref: Ref, viewer: ViewerDep, session: SessionDep, core: CoreDep
) -> HTMLResponse:
    return await case_page(request, viewer, session, core, ref)


@router.post("/{ref}/triage")
async def triage(
    request: Request,
    ref: Ref,
    viewer: ViewerDep,
    session: SessionDep,
    core: CoreDep,
    version: Annotated[int, Form(ge=1)],
    seen: Annotated[int, Form(ge=0)] = 0,
    status: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=20)] = "",
    assignee: Annotated[str, Form(max_length=20)] = "",
    tags: Annotated[str, Form(max_length=1000)] = "",
    details: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Either a status button (``status``) or the details form (``details=1``: priority,
    assignee, tags)."""
    texts = viewer.texts
    wanted = _wanted(status, priority, assignee, tags, bool(details))
    try:
        await TriageService(session, core).update(
            ref, viewer.actor, expected_version=version, changes=wanted
        )
    except StaleVersion:
        return await stale_page(request, viewer, session, core, ref, seen, wanted, texts)
    except DomainError as error:
        if error.code in ("case_not_found", "permission_denied"):
            raise
        return await case_page(
            request, viewer, session, core, ref, status_code=409, error=error_text(error, texts)
        )
    return go(request, f"{PREFIX}/cases/{ref}")


def _wanted(status: str, priority: str, assignee: str, tags: str, details: bool) -> CaseChanges:
    new_status = Status(status) if status in Status._value2member_map_ else None
    if not details:
        return CaseChanges(status=new_status)
    new_priority = Priority(priority) if priority in Priority._value2member_map_ else None
    assignee_id = int(assignee) if assignee.isdigit() else None
    return CaseChanges(
        status=new_status,
        priority=new_priority,
        set_assignee=True,
        assignee_id=assignee_id,
        tags=[t for t in tags.replace(",", " ").split() if t],
    )


async def stale_page(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    core: Core,
    ref: str,
    seen: int,
    wanted: CaseChanges,
    texts: Texts,
) -> HTMLResponse:
    """Nothing was saved; show what others changed since the page was loaded."""
    events = await TriageService(session, core).events(ref, viewer.actor)
    names = await StaffDirectory(session).names(e.actor_id for e in events)
    newer = [(e, changes(e, texts, names)) for e in events[seen:] if e.action != "case.read"]
    yours = []
    if wanted.status is not None:
        yours.append(
            texts.gettext(labels.FIELD["status"])
            + ": "
            + texts.gettext(labels.STATUS[wanted.status.value])
        )
    if wanted.priority is not None:
        yours.append(
            texts.gettext(labels.FIELD["priority"])
            + ": "
            + texts.gettext(labels.PRIORITY[wanted.priority.value])
        )
    if wanted.tags is not None:
        yours.append(texts.gettext(labels.FIELD["tags"]) + ": " + (", ".join(wanted.tags) or "—"))
    return await case_page(
        request,
        viewer,
        session,
        core,
        ref,
        status_code=409,
        stale=newer,
        not_saved=yours,
        stale_names=names,
    )


@router.post("/{ref}/notes")
async def add_note(
    request: Request,
    ref: Ref,
    viewer: ViewerDep,
    session: SessionDep,
    core: CoreDep,
    text: Annotated[str, Form(max_length=MAX_NOTE_CHARS * 2)] = "",
) -> Response:
    try:
        await TriageService(session, core).add_note(ref, viewer.actor, text)
    except DomainError as error:
        if error.code in ("case_not_found", "permission_denied"):
            raise
        return await case_page(
            request,
            viewer,
            session,
            core,
            ref,
            status_code=422,
            note_error=error_text(error, viewer.texts),
            note_text=text,
        )
    return go(request, f"{PREFIX}/cases/{ref}#notes")


@router.post("/{ref}/replies")
async def add_reply(
    request: Request,
    ref: Ref,
    viewer: ViewerDep,
    session: SessionDep,
    core: CoreDep,
    text: Annotated[str, Form(max_length=MAX_REPLY_CHARS * 2)] = "",
    language: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """The reply is written in the reporter's language (the form's only text)."""
    try:
        if language not in Language._value2member_map_:
            raise InvalidInput("The reply needs the reporter's language.")
        await TriageService(session, core).add_reply(ref, viewer.actor, {Language(language): text})
    except DomainError as error:
        if error.code in ("case_not_found", "permission_denied"):
            raise
        return await case_page(
            request,
            viewer,
            session,
            core,
            ref,
            status_code=422,
            reply_error=error_text(error, viewer.texts),
            reply_text=text,
        )
    return go(request, f"{PREFIX}/cases/{ref}#replies")


@router.post("/{ref}/replies/preview")
async def preview_reply(
    request: Request,
    ref: Ref,
    viewer: ViewerDep,
    session: SessionDep,
    core: CoreDep,
    text: Annotated[str, Form(max_length=MAX_REPLY_CHARS * 2)] = "",
) -> HTMLResponse:
    """The reply as the reporter will read it in the chat, in their language."""
    case = await TriageService(session, core).get_visible(ref, viewer.actor, audit_read=False)
    header = translations(case.language).gettext(REPLY_HEADER)
    return render(
        request,
        "reply_preview.html",
        viewer.texts,
        viewer,
        header=header.replace("<b>", "").replace("</b>", ""),
        text=text.strip(),
        too_long=len(text.strip()) > MAX_REPLY_CHARS,
        max_reply=MAX_REPLY_CHARS,
    )


@router.get("/{ref}/files/{attachment_id}")
async def attachment(
    ref: Ref,
    attachment_id: Annotated[str, Path(pattern=PUBLIC_ID_PATTERN)],
    viewer: ViewerDep,
    session: SessionDep,
    core: CoreDep,
    download: bool = False,
) -> Response:
    view, data = await TriageService(session, core).open_attachment(
        ref, attachment_id, viewer.actor
    )
    headers = dict(DOWNLOAD_HEADERS)
    if view.mime_type in IMAGE_TYPES and not download:
        headers["Content-Disposition"] = "inline"
    else:
        headers["Content-Disposition"] = content_disposition(view.name)
    return Response(content=data, media_type=view.served_type, headers=headers)
