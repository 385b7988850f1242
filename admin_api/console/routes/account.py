"""The signed-in person's own account: their password, two-factor sign-in by choice, and
the console's language (remembered for the account, or for the browser on the sign-in
page). Signing in and out is :mod:`.sign_in`."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from admin_api.console import forms
from admin_api.console.routes.sign_in import check_pre_csrf, client_of, safe_next, set_cookie
from admin_api.console.web import (
    COOKIE,
    CSRF_FIELD,
    PREFIX,
    ConsoleProblem,
    ConsoleRoute,
    ReadViewerDep,
    Viewer,
    WriteViewerDep,
    error_text,
    render,
)
from admin_api.web.i18n import STAFF_LANGUAGES, Texts
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.core import Core
from storage.db import Session
from storage.errors import DomainError
from storage.services.console import ConsoleSessionService, Stage
from storage.services.two_factor import TwoFactor

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

LANG_COOKIE = "holos_lang"
YEAR = 365 * 24 * 3600


@router.post("/language")
async def choose_language(
    request: Request,
    core: CoreDep,
    session: WriteSessionDep,
    language: Annotated[str, Form(max_length=5)],
    back: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> Response:
    """Signed in: remembered for the account. On the sign-in page: for this browser."""
    if language not in STAFF_LANGUAGES:
        language = "uk"
    token = request.cookies.get(COOKIE)
    service = ConsoleSessionService(session, core)
    resolved = await service.resolve(token) if token else None
    if resolved is not None and token and service.csrf_valid(token, csrf):
        if resolved[1].stage == Stage.ACTIVE:
            await service.set_language(resolved[0].id, language)
            target = safe_next(back)
        else:  # half signed in (the code or enrolment step): for this browser
            target = f"{PREFIX}/sign-in/next-step"
    elif resolved is not None and resolved[1].stage == Stage.ACTIVE:
        raise ConsoleProblem(
            403, Texts(language)._("This form has expired. Reload the page and try again.")
        )
    else:
        check_pre_csrf(request, core, csrf)
        target = f"{PREFIX}/sign-in"
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, core, LANG_COOKIE, language, YEAR)
    return response


@router.get("/password")
async def password_form(
    request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    return await own_account(request, viewer, session, core)


async def own_account(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """The own-account page: the password, and two-factor sign-in (on, or offered)."""
    factor = TwoFactor(session, core)
    enrolled = factor.enrolled(viewer.user)
    return render(
        request,
        "password.html",
        viewer.texts,
        viewer,
        status_code=status_code,
        two_factor=enrolled,
        codes_left=await factor.recovery_codes_left(viewer.user) if enrolled else 0,
        **values,
    )


@router.post("/two-factor")
async def start_two_factor(
    viewer: WriteViewerDep, session: WriteSessionDep, core: CoreDep
) -> Response:
    """Two-factor sign-in by choice (roles that do not require it): this session goes
    through the same enrolment as a first sign-in, then back to the account page."""
    if TwoFactor.enrolled(viewer.user):
        return RedirectResponse(f"{PREFIX}/password", status_code=303)
    await ConsoleSessionService(session, core).advance(viewer.row, viewer.user, Stage.ENROL)
    back = quote(f"{PREFIX}/password", safe="")
    return RedirectResponse(f"{PREFIX}/sign-in/next-step?next={back}", status_code=303)


@router.post("/password")
async def change_password(
    request: Request,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    repeat: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    texts = viewer.texts
    form = forms.Form(request, texts, partial(own_account, request, viewer, session, core))
    if new != repeat:
        message = texts._("The two new passwords are not the same.")
        return await form.page(status_code=422, message=message)

    def explain(error: DomainError) -> str:
        if error.code == "invalid_input":
            return texts._("The new password is the same as the current one.")
        return error_text(error, texts)

    async def changed() -> Response:
        done = texts._("Your password is changed. Your other sessions have ended.")
        return await own_account(request, viewer, session, core, done=done)

    # A refusal is answered, not raised: a wrong current password counts like a failed
    # sign-in, and the count must commit. Too many attempts: 429.
    return await form.submit(
        ConsoleSessionService(session, core).change_own_password(
            viewer.user, viewer.row, current=current, new=new, client=client_of(request, core)
        ),
        done=changed,
        error_key="message",
        passes=(),
        explain=explain,
    )
