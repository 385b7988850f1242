"""One case: read it, triage it, note it, answer the reporter, follow its timeline, and
its public summary ("you said, we did": :mod:`.public_summary`).

The page comes whole from :meth:`TriageService.page`; this module only draws it. Every
change carries the version the page showed. Saving against a stale version changes
nothing and shows what changed meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import APIRouter, BackgroundTasks, Form, Path, Request, Response
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
    go,
    render,
)
from admin_api.web.downloads import DOWNLOAD_HEADERS, content_disposition
from admin_api.web.i18n import Texts, translations
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.core import Core
from storage.db import Session
from storage.enums import Consent, Language, Outcome, Priority, Role, Status
from storage.errors import DomainError, InvalidInput, StaleVersion
from storage.media.types import IMAGE_TYPES
from storage.models import Case
from storage.refs import PUBLIC_ID_PATTERN, REF_PATTERN
from storage.services.exclusions import RECUSED, Exclusions
from storage.services.outcomes import MAX_REFERRAL_NOTE, OutcomeService, PartnerService
from storage.services.reclassify import (
    MAX_REASON_CHARS,
    Reclassification,
    Reclassified,
    forget_plain_copies,
)
from storage.services.reply_templates import ReplyTemplateService, TemplateOffer, fill
from storage.services.transparency import MAX_SUMMARY_CHARS
from storage.services.triage import (
    CLOSING_OUTCOMES,
    MAX_NOTE_CHARS,
    MAX_REPLY_CHARS,
    CaseChanges,
    CasePage,
    TriageService,
)
from storage.services.worklist import Worklist

router = APIRouter(prefix=f"{PREFIX}/cases", route_class=ConsoleRoute, include_in_schema=False)

Ref = Annotated[str, Path(pattern=REF_PATTERN)]
# The header the bot puts above a staff reply in the reporter's chat (handlers' catalog):
# the report's date, and its topic under it unless the report is sensitive.
REPLY_HEADER = "💬 <b>An answer to your report of {date}:</b>"
TOPIC_LINE = "Topic: {value}"
# The bot's names of the categories (handlers.texts.CATEGORY_NAMES: the same msgids).
REPORTER_CATEGORY = {
    "assistance_quality": "Quality or quantity of assistance",
    "selection_process": "Selection, registration or how assistance is delivered",
    "staff_conduct": "Behaviour of staff or partners",
    "information_request": "I need information",
    "assistance_request": "I need assistance",
    "suggestion": "A suggestion or thanks",
}


def reply_header(
    core: Core, language: str, created_at: datetime, category: str | None
) -> tuple[str, str | None]:
    """The header above a reply as the reporter will read it (without the bold), and
    the topic line under it (none for a sensitive report)."""
    catalog = translations(language)
    day = format_date(
        created_at.astimezone(ZoneInfo(core.settings.timezone)), "long", locale=language
    )
    header = catalog.gettext(REPLY_HEADER).format(date=day).replace("<b>", "").replace("</b>", "")
    topic = None
    if category in REPORTER_CATEGORY:
        name = catalog.gettext(REPORTER_CATEGORY[category])
        topic = catalog.gettext(TOPIC_LINE).format(value=name)
    return header, topic


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
        "topic": Texts(language, timezone).gettext(labels.CATEGORY[case.category])
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
        outcomes=[o.value for o in CLOSING_OUTCOMES],
        consents=[c.value for c in Consent],
        max_referral_note=MAX_REFERRAL_NOTE,
        may_waive=viewer.actor.role is Role.FOCAL_POINT,
        move_to=_move_to(core, viewer, case.category),
        colleagues=page.colleagues,
        focal=viewer.actor.role is Role.FOCAL_POINT,
        max_reason=MAX_REASON_CHARS,
        **extra,
    )


def _move_to(core: Core, viewer: Viewer, current: str) -> list[tuple[str, bool]]:
    """The categories this person may move the case to, each with whether it is sealed:
    an operator only into the sealed channel, a focal point anywhere."""
    focal = viewer.actor.role is Role.FOCAL_POINT
    return [
        (c.code, c.sensitive)
        for c in core.catalog.categories
        if c.code != current and (c.sensitive or focal)
    ]


async def case_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    ref: str,
    *,
    status_code: int = 200,
    mark_seen: bool = False,
    trail: Trail | None = None,
    **extra: object,
) -> HTMLResponse:
    page = await TriageService(session, core).page(ref, viewer.actor, mark_seen=mark_seen)
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
        "partners": await PartnerService(session, core).list(active_only=True),
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
    script does it in place without a reload), ``saved`` says what was just saved.
    Opening the case: what is new on it is new no longer (the worklist's markers)."""
    p = request.query_params
    trail = Trail.of(p.get("from"), p.get("after"))
    saved = p.get("saved", "")
    page = await TriageService(session, core).page(ref, viewer.actor, mark_seen=True)
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
    outcome: Annotated[str, Form(max_length=24)] = "",
    child: Annotated[str, Form(max_length=1)] = "",
    full_text: Annotated[str, Form(max_length=1)] = "",
    origin: Annotated[str, Form(alias="from", max_length=3000)] = "",
    after: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Either a status button (``status``; closing with its ``outcome``) or the details
    form (``details=1``: priority, assignee, tags, a child involved, full-text replies)."""
    wanted = _wanted(status, priority, assignee, tags, bool(details), outcome, child, full_text)
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


@router.post("/{ref}/reclassify")
async def reclassify(
    request: Request,
    ref: Ref,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    background: BackgroundTasks,
    version: Annotated[int, Form(ge=1)],
    seen: Annotated[int, Form(ge=0)] = 0,
    category: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=MAX_NOTE_CHARS * 2)] = "",
    reason: Annotated[str, Form(max_length=MAX_REASON_CHARS * 2)] = "",
) -> Response:
    """Move the case to another category. Moved where this person's role does not see
    it (an operator sealing a case), they go back to the worklist, told it was done."""
    moved: list[Reclassified] = []

    async def move() -> None:
        moved.append(
            await Reclassification(session, core).move(
                ref,
                viewer.actor,
                expected_version=version,
                category=category,
                note=note,
                reason=reason,
            )
        )

    async def done() -> Response:
        result = moved[0]
        if result.sealed:
            # Once the change has committed (the route's scope ends before the answer).
            background.add_task(forget_plain_copies, core)
        if result.still_visible:
            return go(request, f"{PREFIX}/cases/{ref}")
        return go(request, f"{PREFIX}/cases?moved=sealed")

    try:
        return await case_form(request, viewer, session, core, ref).submit(
            move(),
            done=done,
            error_key="move_error",
            passes=(*forms.NOT_THE_FORMS, StaleVersion.code),
            status=409,
            move_note=note,
            move_reason=reason,
        )
    except StaleVersion:
        wanted = texts_line(viewer, category)
        return await stale_page(
            request, viewer, session, core, ref, seen, CaseChanges(), Trail(), also=[wanted]
        )


@router.post("/{ref}/exclusions")
async def exclude(
    request: Request,
    ref: Ref,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    user: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Step back from the case (``user`` is the viewer) or exclude another focal point."""
    kind: list[str] = []

    async def keep_away() -> None:
        if not user.isdigit():
            raise InvalidInput("Choose a focal point.")
        kind.append((await Exclusions(session, core).keep_away(ref, viewer.actor, int(user))).kind)

    async def done() -> Response:
        if kind[0] == RECUSED:
            return go(request, f"{PREFIX}/cases?moved=recused")
        return go(request, f"{PREFIX}/cases/{ref}#conflict")

    return await case_form(request, viewer, session, core, ref).submit(
        keep_away(), done=done, error_key="exclusion_error"
    )


def texts_line(viewer: Viewer, category: str) -> str:
    texts = viewer.texts
    name = labels.CATEGORY.get(category)
    return texts.gettext(labels.FIELD["category"]) + ": " + (texts.gettext(name) if name else "—")


def _wanted(
    status: str,
    priority: str,
    assignee: str,
    tags: str,
    details: bool,
    outcome: str = "",
    child: str = "",
    full_text: str = "",
) -> CaseChanges:
    new_status = Status(status) if status in Status._value2member_map_ else None
    new_outcome = Outcome(outcome) if outcome in Outcome._value2member_map_ else None
    if not details:
        return CaseChanges(status=new_status, outcome=new_outcome)
    new_priority = Priority(priority) if priority in Priority._value2member_map_ else None
    assignee_id = int(assignee) if assignee.isdigit() else None
    return CaseChanges(
        status=new_status,
        priority=new_priority,
        set_assignee=True,
        assignee_id=assignee_id,
        tags=[t for t in tags.replace(",", " ").split() if t],
        child_involved=child == "1",
        # Offered on a sealed case's page only: absent means unchanged.
        reply_full_text={"1": True, "0": False}.get(full_text),
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
    *,
    also: list[str] | None = None,
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
    if wanted.outcome is not None:
        yours.append(
            texts.gettext(labels.FIELD["outcome"])
            + ": "
            + texts.gettext(labels.OUTCOME[wanted.outcome.value])
        )
    yours.extend(also or ())
    return draw(request, viewer, core, page, status_code=409, stale=newer, not_saved=yours, **extra)


@router.post("/{ref}/referrals")
async def add_referral(
    request: Request,
    ref: Ref,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    partner: Annotated[str, Form(max_length=12)] = "",
    consent: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=MAX_REFERRAL_NOTE * 2)] = "",
) -> Response:
    """To whom, with the person's consent, and a note: the case moves to referred."""

    async def refer() -> None:
        if consent not in Consent._value2member_map_:
            raise InvalidInput("consent: say whether the person agreed.")
        await OutcomeService(session, core).refer(
            ref,
            viewer.actor,
            partner_id=int(partner) if partner.isdigit() else 0,
            consent=Consent(consent),
            note=note,
        )

    return await case_form(request, viewer, session, core, ref).submit(
        refer(),
        done=f"{PREFIX}/cases/{ref}#outcome",
        error_key="referral_error",
        referral_note=note,
    )


@router.post("/{ref}/child-waiver")
async def child_waiver(
    request: Request,
    ref: Ref,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    reason: Annotated[str, Form(max_length=MAX_NOTE_CHARS * 2)] = "",
) -> Response:
    """A focal point writes why a case involving a child has no child-protection referral."""
    return await case_form(request, viewer, session, core, ref).submit(
        OutcomeService(session, core).waive_child_referral(ref, viewer.actor, reason),
        done=f"{PREFIX}/cases/{ref}#outcome",
        error_key="waiver_error",
        passes=("case_not_found",),
        waiver_text=reason,
    )


@router.post("/{ref}/duplicate")
async def mark_duplicate(
    request: Request,
    ref: Ref,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    version: Annotated[int, Form(ge=1)],
    seen: Annotated[int, Form(ge=0)] = 0,
    of: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Close the case as a duplicate of the case kept (``of``, its reference)."""
    try:
        return await case_form(request, viewer, session, core, ref).submit(
            OutcomeService(session, core).mark_duplicate(
                ref, viewer.actor, expected_version=version, kept_ref=of.strip()
            ),
            done=f"{PREFIX}/cases/{ref}",
            error_key="duplicate_error",
            # An unknown reference is the form's error (the case kept), not the page's.
            passes=("permission_denied", StaleVersion.code),
            duplicate_of_text=of,
        )
    except StaleVersion:
        return await stale_page(request, viewer, session, core, ref, seen, CaseChanges(), Trail())


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
    category = None if case.sensitive else case.category
    header, topic = reply_header(core, case.language, case.created_at, category)
    return render(
        request,
        "reply_preview.html",
        viewer.texts,
        viewer,
        header=header,
        topic=topic,
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
