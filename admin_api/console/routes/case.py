"""One case: read it, triage it, note it, answer the reporter, follow its timeline, and
its public summary ("you said, we did": :mod:`.public_summary`).

The page comes whole from :meth:`TriageService.page`; this module only draws it. Every
change carries the version the page showed. Saving against a stale version changes
nothing and shows what changed meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import HTMLResponse

from admin_api.console import forms, labels
from admin_api.console.routes.worklist import Query, statuses_of
from admin_api.console.views import changes, clock_text
from admin_api.console.web import (
    PREFIX,
    ConsoleRoute,
    ReadViewerDep,
    Viewer,
    WriteViewerDep,
    render,
)
from admin_api.web.downloads import DOWNLOAD_HEADERS, content_disposition
from admin_api.web.i18n import translations
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.core import Core
from storage.db import Session
from storage.enums import Language, Priority, Status
from storage.errors import DomainError, InvalidInput, StaleVersion
from storage.media.types import IMAGE_TYPES
from storage.models import Case
from storage.refs import PUBLIC_ID_PATTERN, REF_PATTERN
from storage.services.reply_templates import ReplyTemplateService, TemplateOffer, fill
from storage.services.transparency import MAX_SUMMARY_CHARS
from storage.services.triage import (
    MAX_NOTE_CHARS,
    MAX_REPLY_CHARS,
    CaseChanges,
    CasePage,
    TriageService,
)
from storage.services.worklist import Worklist

router = APIRouter(prefix=f"{PREFIX}/cases", route_class=ConsoleRoute, include_in_schema=False)

Ref = Annotated[str, Path(pattern=REF_PATTERN)]
# The header the bot puts above a staff reply in the reporter's chat (handlers' catalog).
REPLY_HEADER = "💬 <b>An answer to your report:</b>"
# What a save says on the page it returns to (``?saved=``).
SAVED = ("status", "triage", "reply", "note", "summary")


@dataclass(frozen=True)
class Trail:
    """The list a case page was opened from: ``from`` (the worklist's query string) and
    ``after`` (the signed position of this case in it). Forms carry both along, so the
    page after a save still offers the next case."""

    origin: str = ""
    after: str = ""

    @classmethod
    def of(cls, origin: str | None, after: str | None) -> Trail:
        return cls((origin or "")[:3000], (after or "")[:2000])

    def query(self, **extra: str) -> str:
        values = {"from": self.origin, "after": self.after, **extra}
        return urlencode({k: v for k, v in values.items() if v})

    def url(self, ref: str, anchor: str = "", **extra: str) -> str:
        query = self.query(**extra)
        return f"{PREFIX}/cases/{ref}" + (f"?{query}" if query else "") + anchor


async def next_case(viewer: Viewer, session: Session, core: Core, trail: Trail) -> str | None:
    """The case after this one in the list it was opened from, as a link, or None."""
    if not (trail.origin and trail.after):
        return None
    query = Query.from_link(trail.origin, core)
    flt = query.case_filter(viewer, core.settings.timezone, statuses_of(query.tab))
    try:
        # Plain rows: the next case's reference is all this needs.
        page = await Worklist(session, core).rows(
            viewer.actor,
            flt,
            query=query.q or None,
            sort=query.sort,
            cursor=trail.after,
            limit=1,
            positions=True,
        )
    except DomainError:
        return None  # a stale or forged position: no "next", the page itself still opens
    if not page.items:
        return None
    return Trail(trail.origin, page.positions[0]).url(str(page.items[0]["ref"]))


def placeholder_values(case: Case, timezone: str) -> dict[str, str]:
    """What a template's placeholders become on this case, in the reporter's language."""
    language = case.language.value
    day = case.created_at.astimezone(ZoneInfo(timezone)).date()
    return {
        # Plain spaces: the narrow no-break space CLDR puts before "г." or "р." shows as a
        # box on some phones.
        "date": format_date(day, format="long", locale=language).replace("\u202f", " "),
        "topic": translations(language).gettext(labels.CATEGORY.get(case.category, case.category))
        if case.category in labels.CATEGORY
        else case.category,
    }


async def template_offers(
    viewer: Viewer, session: Session, core: Core, case: Case
) -> list[TemplateOffer]:
    """The templates for this case's reply box, filled in."""
    offers = await ReplyTemplateService(session, core).offers(viewer.actor, case.language)
    values = placeholder_values(case, core.settings.timezone)
    return [
        TemplateOffer(o.id, o.name, o.language, fill(o.body, values), o.fallback) for o in offers
    ]


def draw(
    request: Request,
    viewer: Viewer,
    core: Core,
    page: CasePage,
    *,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    """The case page from its model (TriageService.page), with what a form adds."""
    detail, case, texts = page.detail, page.case, viewer.texts
    now = core.clock.now()
    sla = detail.sla
    summary = page.public_summary
    return render(
        request,
        "case.html",
        texts,
        viewer,
        status_code=status_code,
        detail=detail,
        case=case,
        names=page.names,
        events=[(e, changes(e, texts, page.names)) for e in page.timeline],
        # How many events the page showed (oldest first), not an event's key: keys
        # would tell how many events exist in the whole trail.
        last_event_id=len(page.timeline),
        ack=clock_text(
            sla.acknowledge.due_at, sla.acknowledge.met_at, sla.acknowledge.state, now, texts
        ),
        res=clock_text(sla.resolve.due_at, sla.resolve.met_at, sla.resolve.state, now, texts),
        assignees=page.assignees,
        priorities=[p.value for p in Priority],
        image_types=IMAGE_TYPES,
        reporter_language=case.language,
        max_reply=MAX_REPLY_CHARS,
        max_note=MAX_NOTE_CHARS,
        oblast_name=core.catalog.oblast(case.oblast).name(texts.language),
        programme_name=core.catalog.programme(case.programme).name(texts.language)
        if case.programme
        else None,
        publishable=summary.publishable,
        summary=summary.summary,
        may_publish=summary.may_publish,
        max_summary=MAX_SUMMARY_CHARS,
        **extra,
    )


async def case_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    ref: str,
    *,
    status_code: int = 200,
    trail: Trail | None = None,
    **extra: object,
) -> HTMLResponse:
    page = await TriageService(session, core).page(ref, viewer.actor)
    extra = {**await page_extras(viewer, session, core, page, trail or Trail()), **extra}
    return draw(request, viewer, core, page, status_code=status_code, **extra)


async def page_extras(
    viewer: Viewer, session: Session, core: Core, page: CasePage, trail: Trail
) -> dict[str, Any]:
    """What the page shows beside the case: its templates, the list's next case."""
    return {
        "templates": await template_offers(viewer, session, core, page.case),
        "trail": trail,
        "next_url": await next_case(viewer, session, core, trail),
    }


def case_form(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    ref: str,
    trail: Trail | None = None,
) -> forms.Form:
    """The case page's forms: a refused one draws the page again."""
    return forms.Form(
        request,
        viewer.texts,
        partial(case_page, request, viewer, session, core, ref, trail=trail),
    )


@router.get("/{ref}")
async def show(
    request: Request, ref: Ref, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    """The case; ``template`` puts that template's text in the reply box (the page's
    script does it in place without a reload), ``saved`` says what was just saved."""
    p = request.query_params
    trail = Trail.of(p.get("from"), p.get("after"))
    saved = p.get("saved", "")
    page = await TriageService(session, core).page(ref, viewer.actor)
    extra = await page_extras(viewer, session, core, page, trail)
    if saved in SAVED:
        extra["saved"] = saved
    chosen = p.get("template")
    templates = extra["templates"]
    assert isinstance(templates, list)
    offer = next((o for o in templates if o.id == chosen), None)
    if offer is not None:
        extra["reply_text"] = offer.body
        extra["template_fallback"] = offer.fallback
    return draw(request, viewer, core, page, **extra)


@router.post("/{ref}/triage")
async def triage(
    request: Request,
    ref: Ref,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    version: Annotated[int, Form(ge=1)],
    seen: Annotated[int, Form(ge=0)] = 0,
    status: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=20)] = "",
    assignee: Annotated[str, Form(max_length=20)] = "",
    tags: Annotated[str, Form(max_length=1000)] = "",
    details: Annotated[str, Form(max_length=1)] = "",
    origin: Annotated[str, Form(alias="from", max_length=3000)] = "",
    after: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Either a status button (``status``) or the details form (``details=1``: priority,
    assignee, tags)."""
    wanted = _wanted(status, priority, assignee, tags, bool(details))
    trail = Trail.of(origin, after)
    try:
        return await case_form(request, viewer, session, core, ref, trail).submit(
            TriageService(session, core).update(
                ref, viewer.actor, expected_version=version, changes=wanted
            ),
            done=trail.url(ref, saved="triage" if details else "status"),
            error_key="error",
            passes=(*forms.NOT_THE_FORMS, StaleVersion.code),
            status=409,
        )
    except StaleVersion:
        return await stale_page(request, viewer, session, core, ref, seen, wanted, trail)


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
    session: Session,
    core: Core,
    ref: str,
    seen: int,
    wanted: CaseChanges,
    trail: Trail,
) -> HTMLResponse:
    """Nothing was saved; show what others changed since the page was loaded."""
    texts = viewer.texts
    page = await TriageService(session, core).page(ref, viewer.actor)
    extra = await page_extras(viewer, session, core, page, trail)
    newer = [
        (e, changes(e, texts, page.names)) for e in page.timeline[seen:] if e.action != "case.read"
    ]
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
    return draw(request, viewer, core, page, status_code=409, stale=newer, not_saved=yours, **extra)


@router.post("/{ref}/notes")
async def add_note(
    request: Request,
    ref: Ref,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    text: Annotated[str, Form(max_length=MAX_NOTE_CHARS * 2)] = "",
    origin: Annotated[str, Form(alias="from", max_length=3000)] = "",
    after: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    trail = Trail.of(origin, after)
    return await case_form(request, viewer, session, core, ref, trail).submit(
        TriageService(session, core).add_note(ref, viewer.actor, text),
        done=trail.url(ref, "#notes", saved="note"),
        error_key="note_error",
        note_text=text,
    )


@router.post("/{ref}/replies")
async def add_reply(
    request: Request,
    ref: Ref,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    text: Annotated[str, Form(max_length=MAX_REPLY_CHARS * 2)] = "",
    language: Annotated[str, Form(max_length=2)] = "",
    origin: Annotated[str, Form(alias="from", max_length=3000)] = "",
    after: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The reply is written in the reporter's language (the form's only text). Made
    from a template or not, it is stored, sealed and sent as any reply."""
    trail = Trail.of(origin, after)

    async def reply() -> None:
        if language not in Language._value2member_map_:
            raise InvalidInput("The reply needs the reporter's language.")
        await TriageService(session, core).add_reply(ref, viewer.actor, {Language(language): text})

    return await case_form(request, viewer, session, core, ref, trail).submit(
        reply(),
        done=trail.url(ref, "#replies", saved="reply"),
        error_key="reply_error",
        reply_text=text,
    )


@router.post("/{ref}/replies/preview")
async def preview_reply(
    request: Request,
    ref: Ref,
    viewer: ReadViewerDep,
    session: ReadSessionDep,
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
    viewer: ReadViewerDep,
    session: ReadSessionDep,
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
