"""A closed case's public summary on the case page ("you said, we did"): staff
write it for the public, a focal point other than its writer publishes it to the
transparency page. The rules and the audit events are the API's, in
:class:`storage.services.transparency.TransparencyService`; the block's state comes with
the case page (:meth:`storage.services.triage.TriageService.page`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from admin_api.console.routes.case import Ref, case_form
from admin_api.console.web import PREFIX, ConsoleRoute, Viewer, WriteViewerDep, error_text, go
from admin_api.web.sessions import CoreDep, WriteSessionDep
from storage.enums import Language
from storage.errors import DomainError
from storage.i18n import _
from storage.services.transparency import MAX_SUMMARY_CHARS, TransparencyService

router = APIRouter(prefix=f"{PREFIX}/cases", route_class=ConsoleRoute, include_in_schema=False)

Text = Annotated[str, Form(max_length=MAX_SUMMARY_CHARS * 2)]
ANCHOR = "#public-summary"

NOT_PUBLISHABLE = _(
    "A focal point other than its writer publishes a summary, and only for a closed case "
    "that is not sensitive."
)


def explain(viewer: Viewer) -> Callable[[DomainError], str]:
    def problem(error: DomainError) -> str:
        if error.code == "not_publishable":
            return viewer.texts.gettext(NOT_PUBLISHABLE)
        return error_text(error, viewer.texts)

    return problem


@router.post("/{ref}/public-summary")
async def write(
    request: Request,
    ref: Ref,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    uk: Text = "",
    en: Text = "",
) -> Response:
    """Write or rewrite; a rewrite takes it off the page until it is approved again."""
    texts = {lang: text for lang, text in ((Language.UK, uk), (Language.EN, en)) if text.strip()}
    return await case_form(request, viewer, session, core, ref).submit(
        TransparencyService(session, core).write(ref, viewer.actor, texts),
        done=f"{PREFIX}/cases/{ref}?saved=summary{ANCHOR}",
        error_key="publish_error",
        status=422,
        explain=explain(viewer),
        draft={"uk": uk, "en": en},
    )


@router.post("/{ref}/public-summary/publish")
async def publish(
    request: Request, ref: Ref, viewer: WriteViewerDep, session: WriteSessionDep, core: CoreDep
) -> Response:
    return await case_form(request, viewer, session, core, ref).submit(
        TransparencyService(session, core).approve(ref, viewer.actor),
        done=f"{PREFIX}/cases/{ref}?saved=summary{ANCHOR}",
        error_key="publish_error",
        # A role that may not publish is told so on the page, like any refusal here.
        passes=("case_not_found",),
        status=422,
        explain=explain(viewer),
    )


@router.post("/{ref}/public-summary/withdraw")
async def withdraw(
    request: Request, ref: Ref, viewer: WriteViewerDep, session: WriteSessionDep, core: CoreDep
) -> Response:
    await TransparencyService(session, core).withdraw(ref, viewer.actor)
    return go(request, f"{PREFIX}/cases/{ref}?saved=summary{ANCHOR}")
