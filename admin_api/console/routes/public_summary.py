"""A closed case's public summary on the case page ("you said, we did", SPEC §7): staff
write it for the public, a focal point other than its writer publishes it to the
transparency page. The rules and the audit events are the API's, in
:class:`storage.services.transparency.TransparencyService`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, Response

from admin_api.console.web import PREFIX, ConsoleRoute, Viewer, ViewerDep, error_text, go
from admin_api.deps import CoreDep, SessionDep
from admin_api.schemas.cases import REF_PATTERN
from storage.core import Core
from storage.db import Session
from storage.enums import Language, Role, Status
from storage.errors import DomainError
from storage.models import Case
from storage.services.transparency import (
    MAX_SUMMARY_CHARS,
    NoPublicSummary,
    TransparencyService,
)

router = APIRouter(prefix=f"{PREFIX}/cases", route_class=ConsoleRoute, include_in_schema=False)

Ref = Annotated[str, Path(pattern=REF_PATTERN)]
Text = Annotated[str, Form(max_length=MAX_SUMMARY_CHARS * 2)]
ANCHOR = "#public-summary"


async def publish_context(
    session: Session, core: Core, viewer: Viewer, case: Case
) -> dict[str, Any]:
    """What the case page's public-summary block needs; nothing for a case that can
    never have one (open, or sensitive: never published, not even the outcome)."""
    if case.sensitive or case.status != Status.CLOSED:
        return {"publishable": False}
    try:
        summary = await TransparencyService(session, core).get(case.ref, viewer.actor)
    except NoPublicSummary:
        summary = None
    return {
        "publishable": True,
        "summary": summary,
        "max_summary": MAX_SUMMARY_CHARS,
        # A second person approves: the writer never publishes their own text.
        "may_publish": summary is not None
        and summary.approved_at is None
        and viewer.actor.role is Role.FOCAL_POINT
        and summary.written_by != viewer.user.id,
    }


def _(text: str) -> str:
    """Marks a text for extraction; translated in the viewer's language."""
    return text


NOT_PUBLISHABLE = _(
    "A focal point other than its writer publishes a summary, and only for a closed case "
    "that is not sensitive."
)


def problem(error: DomainError, viewer: Viewer) -> str:
    if error.code == "not_publishable":
        return viewer.texts.gettext(NOT_PUBLISHABLE)
    return error_text(error, viewer.texts)


async def _again(
    request: Request, viewer: Viewer, session: SessionDep, core: Core, ref: str, **extra: Any
) -> Response:
    # Imported here: the case page imports this module for its block.
    from admin_api.console.routes.case import case_page

    return await case_page(request, viewer, session, core, ref, status_code=422, **extra)


@router.post("/{ref}/public-summary")
async def write(
    request: Request,
    ref: Ref,
    viewer: ViewerDep,
    session: SessionDep,
    core: CoreDep,
    uk: Text = "",
    en: Text = "",
) -> Response:
    """Write or rewrite; a rewrite takes it off the page until it is approved again."""
    texts = {lang: text for lang, text in ((Language.UK, uk), (Language.EN, en)) if text.strip()}
    try:
        await TransparencyService(session, core).write(ref, viewer.actor, texts)
    except DomainError as error:
        if error.code in ("case_not_found", "permission_denied"):
            raise
        message = problem(error, viewer)
        return await _again(
            request, viewer, session, core, ref, publish_error=message, draft={"uk": uk, "en": en}
        )
    return go(request, f"{PREFIX}/cases/{ref}{ANCHOR}")


@router.post("/{ref}/public-summary/publish")
async def publish(
    request: Request, ref: Ref, viewer: ViewerDep, session: SessionDep, core: CoreDep
) -> Response:
    try:
        await TransparencyService(session, core).approve(ref, viewer.actor)
    except DomainError as error:
        if error.code == "case_not_found":
            raise
        message = problem(error, viewer)
        return await _again(request, viewer, session, core, ref, publish_error=message)
    return go(request, f"{PREFIX}/cases/{ref}{ANCHOR}")


@router.post("/{ref}/public-summary/withdraw")
async def withdraw(
    request: Request, ref: Ref, viewer: ViewerDep, session: SessionDep, core: CoreDep
) -> Response:
    await TransparencyService(session, core).withdraw(ref, viewer.actor)
    return go(request, f"{PREFIX}/cases/{ref}{ANCHOR}")
