"""Signing in and out, the own password, and the language of the console.

Sign-in is a sequence of stages kept on the session row: the password first; then, for
accounts that have or need two-factor sign-in, the next step (see ``next_stage``). Only
an ``active`` session reaches cases.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from admin_api.console.i18n import STAFF_LANGUAGES, Texts
from admin_api.console.web import (
    COOKIE,
    CSRF_FIELD,
    PRE_COOKIE,
    PREFIX,
    ConsoleProblem,
    ConsoleRoute,
    ViewerDep,
    error_text,
    render,
    secure_cookies,
    texts_for,
)
from admin_api.deps import CoreDep, MetricsDep, SessionDep
from admin_api.metrics import SignInOutcome
from storage.core import Core
from storage.errors import AuthenticationFailed, DomainError, RateLimited
from storage.models import StaffUser
from storage.services.console import ConsoleSessionService, Stage
from storage.services.staff import StaffService

log = logging.getLogger("holos.console")

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

LANG_COOKIE = "holos_lang"
_PRE_PURPOSE = "console-pre-csrf"
YEAR = 365 * 24 * 3600


def next_stage(user: StaffUser) -> Stage:
    """Where a sign-in goes after the right password. Two-factor sign-in slots in here:
    a second-factor step for accounts with TOTP, enrolment for roles that require it."""
    return Stage.ACTIVE


def safe_next(target: str | None) -> str:
    """Only a console path: never another site (``//evil``) after signing in."""
    if target and target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return f"{PREFIX}/cases"


def pre_token(core: Core, pre: str) -> str:
    return core.crypto.sign(pre.encode(), _PRE_PURPOSE).hex()


def set_cookie(
    response: Response, request: Request, core: Core, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, core),
    )


def sign_in_page(
    request: Request,
    core: Core,
    *,
    message: str = "",
    status_code: int = 200,
    username: str = "",
) -> HTMLResponse:
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    texts = texts_for(request, core)
    if request.query_params.get("expired") and not message:
        message = texts._("Your session has ended. Please sign in again.")
    response = render(
        request,
        "sign_in.html",
        texts,
        status_code=status_code,
        pre_csrf=pre_token(core, pre),
        message=message,
        username=username,
        next=safe_next(request.query_params.get("next")),
    )
    set_cookie(response, request, core, PRE_COOKIE, pre, 3600)
    return response


def check_pre_csrf(request: Request, core: Core, presented: str) -> None:
    pre = request.cookies.get(PRE_COOKIE)
    if not pre or not secrets.compare_digest(pre_token(core, pre), presented):
        texts = texts_for(request, core)
        raise ConsoleProblem(403, texts._("This form has expired. Reload the page and try again."))


@router.get("")
async def home() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/cases", status_code=303)


@router.get("/sign-in")
async def sign_in_form(request: Request, core: CoreDep) -> HTMLResponse:
    return sign_in_page(request, core)


@router.post("/sign-in")
async def sign_in(
    request: Request,
    core: CoreDep,
    session: SessionDep,
    metrics: MetricsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_pre_csrf(request, core, csrf)
    texts = texts_for(request, core)
    try:
        user = await StaffService(session, core).authenticate(username, password)
    except RateLimited as error:
        metrics.sign_in(SignInOutcome.THROTTLED)
        message = texts._("Too many attempts. Wait a little and try again.")
        response = sign_in_page(request, core, message=message, status_code=429, username=username)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    if user is None:
        metrics.sign_in(SignInOutcome.FAILURE)
        # Returned, not raised: the failure count that slows the next tries must commit.
        message = error_text(AuthenticationFailed(), texts)
        return sign_in_page(request, core, message=message, status_code=401, username=username)
    metrics.sign_in(SignInOutcome.SUCCESS)
    stage = next_stage(user)
    opened = await ConsoleSessionService(session, core).open(user, stage=stage)
    log.info("console_signed_in user_id=%s", user.id)
    target = safe_next(next) if stage is Stage.ACTIVE else f"{PREFIX}/sign-in/next-step"
    redirect = RedirectResponse(target, status_code=303)
    set_cookie(
        redirect,
        request,
        core,
        COOKIE,
        opened.token,
        int(ConsoleSessionService(session, core).absolute.total_seconds()),
    )
    redirect.delete_cookie(PRE_COOKIE, path=PREFIX)
    return redirect


@router.get("/sign-in/next-step")
async def next_step(request: Request, core: CoreDep) -> Response:
    # No step beyond the password yet: whatever session this is, start again.
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


@router.post("/sign-out")
async def sign_out(
    request: Request, viewer: ViewerDep, session: SessionDep, core: CoreDep
) -> Response:
    await ConsoleSessionService(session, core).close(viewer.row, viewer.actor)
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


@router.post("/language")
async def choose_language(
    request: Request,
    core: CoreDep,
    session: SessionDep,
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
    if resolved is not None and resolved[1].stage == Stage.ACTIVE and token:
        if not service.csrf_valid(token, csrf):
            raise ConsoleProblem(
                403,
                Texts(language)._("This form has expired. Reload the page and try again."),
            )
        await service.set_language(resolved[0].id, language)
        target = safe_next(back)
    else:
        check_pre_csrf(request, core, csrf)
        target = f"{PREFIX}/sign-in"
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, core, LANG_COOKIE, language, YEAR)
    return response


@router.get("/password")
async def password_form(request: Request, viewer: ViewerDep) -> HTMLResponse:
    return render(request, "password.html", viewer.texts, viewer)


@router.post("/password")
async def change_password(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    core: CoreDep,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    repeat: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    texts = viewer.texts
    if new != repeat:
        message = texts._("The two new passwords are not the same.")
        return render(request, "password.html", texts, viewer, status_code=422, message=message)
    try:
        await ConsoleSessionService(session, core).change_own_password(
            viewer.user, viewer.row, current=current, new=new
        )
    except RateLimited:
        message = texts._("Too many attempts. Wait a little and try again.")
        return render(request, "password.html", texts, viewer, status_code=429, message=message)
    except DomainError as error:
        if error.code == "invalid_input":
            message = texts._("The new password is the same as the current one.")
        else:
            message = error_text(error, texts)
        # Returned, not raised: a wrong current password counts like a failed sign-in.
        return render(request, "password.html", texts, viewer, status_code=422, message=message)
    return render(
        request,
        "password.html",
        texts,
        viewer,
        done=texts._("Your password is changed. Your other sessions have ended."),
    )
