""" "New case": a report staff heard (a hotline call, a visit, a letter or a feedback box,
an e-mail, a partner's referral), logged through the same intake as the bot's.

The answer to the form is the confirmation page itself, never a redirect to something
that could show it again: the code on it (a receipt code, or for a sealed case a
one-time claim code) is shown this once and stored only as a hash. A sealed case is
gone from an operator's view the moment it is stored, like any sealed case.

Files are read into memory only (:mod:`admin_api.web.uploads`) and go through the bot's
cleaning before anything is written; the write transaction opens only once they are
clean.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from admin_api.console import labels
from admin_api.console.web import (
    PREFIX,
    ConsoleProblem,
    ConsoleRoute,
    ReadViewerDep,
    Viewer,
    error_text,
    render,
    require,
)
from admin_api.web.files import stage_files
from admin_api.web.sessions import CoreDep, unit_of_work
from admin_api.web.uploads import BadForm, files_of, memory_form, text_of
from storage.core import Core
from storage.enums import STAFF_CHANNELS, Channel, FollowUpMode, Language
from storage.errors import DomainError
from storage.services.attachments import AttachmentService
from storage.services.intake import (
    IntakeService,
    LoggedCase,
    ReportSubmission,
    StaffLoggedReport,
)

log = logging.getLogger("holos.console.intake")

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

NEW = "/cases/new"


async def read_form(request: Request, core: CoreDep) -> FormData | None:
    """The posted form, its files in memory (read before the viewer's CSRF check, which
    then reads the same fields)."""
    if request.method != "POST":
        return None
    settings = core.settings
    try:
        return await memory_form(
            request,
            file_cap=settings.attachment_max_bytes,
            max_files=settings.attachments_max_count + 1,
        )
    except BadForm:
        raise ConsoleProblem(400, "") from None


PostedForm = Annotated[FormData | None, Depends(read_form)]


@dataclass
class Values:
    """What the form holds: drawn again as typed when something is refused."""

    channel: str = Channel.HOTLINE.value
    category: str = ""
    programme: str = ""
    oblast: str = ""
    language: str = Language.UK.value
    narrative: str = ""
    follow_up: str = FollowUpMode.CODE.value
    contact: str = ""
    intake_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @classmethod
    def of(cls, form: FormData) -> Values:
        return cls(
            channel=text_of(form, "channel"),
            category=text_of(form, "category"),
            programme=text_of(form, "programme"),
            oblast=text_of(form, "oblast"),
            language=text_of(form, "language"),
            narrative=text_of(form, "narrative"),
            follow_up=text_of(form, "follow_up"),
            contact=text_of(form, "contact"),
            intake_key=text_of(form, "intake_key"),
        )


def draw_form(
    request: Request,
    viewer: Viewer,
    core: Core,
    values: Values,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    catalog = core.catalog
    settings = core.settings
    return render(
        request,
        "new_case.html",
        viewer.texts,
        viewer,
        status_code=status_code,
        values=values,
        errors=errors or [],
        channels=[c.value for c in STAFF_CHANNELS],
        categories=[(c.code, c.sensitive) for c in catalog.categories],
        oblasts=[(o.code, o.name(viewer.language)) for o in catalog.oblasts],
        programmes=[(p.code, p.name(viewer.language)) for p in catalog.programmes],
        languages=[x.value for x in Language],
        follow_ups=[m.value for m in FollowUpMode],
        max_files=settings.attachments_max_count,
        max_mb=settings.attachment_max_bytes // (1024 * 1024),
        max_narrative=settings.narrative_max_chars,
    )


@router.get(NEW, response_class=HTMLResponse)
async def new_case(request: Request, viewer: ReadViewerDep, core: CoreDep) -> HTMLResponse:
    require(viewer.actor.can_see_cases, viewer.texts)
    return draw_form(request, viewer, core, Values())


@router.post(NEW, response_class=HTMLResponse)
async def log_case(
    request: Request, form: PostedForm, viewer: ReadViewerDep, core: CoreDep
) -> Response:
    require(viewer.actor.can_see_cases, viewer.texts)
    assert form is not None  # a POST always has one (read_form)
    values = Values.of(form)
    t = viewer.texts
    if not values.narrative.strip():
        # Before any file is cleaned: nothing to log without the account.
        message = t.gettext(labels.ERROR["empty_narrative"])
        return draw_form(request, viewer, core, values, errors=[message], status_code=422)
    uploads = await files_of(form, "files")
    if len(uploads) > core.settings.attachments_max_count:
        message = t.gettext(labels.ERROR["too_many_attachments"])
        return draw_form(request, viewer, core, values, errors=[message], status_code=422)
    try:
        channel = Channel(values.channel)
        follow_up = FollowUpMode(values.follow_up)
        language = Language(values.language)
    except ValueError:
        message = t.gettext(labels.ERROR["invalid_input"])
        return draw_form(request, viewer, core, values, errors=[message], status_code=422)
    staged, refused = await stage_files(viewer.texts, core, uploads)
    if refused:
        # Nothing is logged with a file missing: staff fix the list and send again.
        await AttachmentService(core).discard(staged)
        return draw_form(request, viewer, core, values, errors=refused, status_code=422)
    item = StaffLoggedReport(
        report=ReportSubmission(
            category=values.category,
            language=language,
            oblast=values.oblast,
            narrative=values.narrative,
            programme=values.programme or None,
            attachments=staged,
            channel=channel,
        ),
        follow_up=follow_up,
        intake_key=values.intake_key,
        contact=values.contact if follow_up is FollowUpMode.CONTACT else None,
    )
    # Drawn before the write transaction: the hashes are slow on purpose.
    receipt = await IntakeService.draw_receipt(core.crypto)
    sealed = values.category in core.catalog.sensitive_codes
    claim = await IntakeService.draw_receipt(core.crypto) if sealed else None
    try:
        async with unit_of_work(request, core) as session:
            logged = await IntakeService(session, core).log_case(
                viewer.actor, item, receipt=receipt, claim=claim
            )
    except DomainError as error:
        await AttachmentService(core).discard(staged)
        if error.code == "permission_denied":
            raise
        return draw_form(
            request, viewer, core, values, errors=[error_text(error, t)], status_code=422
        )
    if logged.repeated:
        await AttachmentService(core).discard(staged)
    log.info("case_logged_by_staff")
    return confirmation(request, viewer, logged)


def confirmation(request: Request, viewer: Viewer, logged: LoggedCase) -> HTMLResponse:
    response = render(
        request,
        "case_logged.html",
        viewer.texts,
        viewer,
        logged=logged,
        may_open=viewer.actor.may_see(sensitive=logged.sensitive),
    )
    # The page holds a code shown once: no copy in any cache or the browser's history.
    response.headers["Cache-Control"] = "no-store"
    return response
