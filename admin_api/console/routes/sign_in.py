"""Signing in (the password, then the second factor or its enrolment) and out.

Sign-in is a sequence of stages kept on the session row: the password first; then, for
accounts that have or need two-factor sign-in, the next step (see ``next_stage``). Only
an ``active`` session reaches cases. A step after the password is short-lived, answers
only the address that passed the password and takes five codes (storage.services.
console); a slowed-down account's wait comes before the password is checked, with no
transaction open.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated
from urllib.parse import quote

import qrcode
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from qrcode.image.svg import SvgPathImage

from admin_api.console.web import (
    COOKIE,
    CSRF_FIELD,
    PRE_COOKIE,
    PREFIX,
    ConsoleProblem,
    ConsoleRoute,
    WriteViewerDep,
    error_text,
    render,
    secure_cookies,
    texts_for,
    tokens_equal,
)
from admin_api.metrics import SignInOutcome
from admin_api.web.clients import client_address, trusted_networks
from admin_api.web.sessions import (
    CoreDep,
    MetricsDep,
    ReadSessionDep,
    WriteSessionDep,
    unit_of_work,
)
from storage.core import Core
from storage.db import Session
from storage.errors import AuthenticationFailed, RateLimited, WrongSecondFactor
from storage.models import ConsoleSession, StaffUser
from storage.services.console import CODES_PER_STEP, ConsoleSessionService, OpenedSession, Stage
from storage.services.staff import SignInLimits, StaffService
from storage.services.two_factor import Enrolment, TwoFactor, two_factor_required

log = logging.getLogger("holos.console")

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

_PRE_PURPOSE = "console-pre-csrf"


def next_stage(user: StaffUser) -> Stage:
    """Where a sign-in goes after the right password: the code for accounts with
    two-factor sign-in, enrolment for roles that require it and have none yet."""
    if TwoFactor.enrolled(user):
        return Stage.SECOND_FACTOR
    if two_factor_required(user.role):
        return Stage.ENROL
    return Stage.ACTIVE


def client_of(request: Request, core: Core) -> str:
    return client_address(request, trusted_networks(core.settings.trusted_proxies))


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
    if not pre or not tokens_equal(pre_token(core, pre), presented):
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
    metrics: MetricsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_pre_csrf(request, core, csrf)
    texts = texts_for(request, core)
    client = client_of(request, core)
    try:
        async with unit_of_work(request, core) as session:
            attempt = await StaffService(session, core).begin_sign_in(username, client=client)
        # Waited with no transaction open: a held write lock would stop everyone else.
        await core.clock.sleep(attempt.delay)
        async with unit_of_work(request, core) as session:
            staff = StaffService(session, core)
            user = await staff.check_password(username, password, client=client, attempt=attempt)
            # A failure's count commits with this transaction: nothing raised past here.
            opened = await password_passed(session, core, user, client) if user else None
    except RateLimited as error:
        metrics.sign_in(SignInOutcome.THROTTLED)
        message = texts._("Too many attempts. Wait a little and try again.")
        response = sign_in_page(request, core, message=message, status_code=429, username=username)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    if opened is None:
        metrics.sign_in(SignInOutcome.FAILURE)
        message = error_text(AuthenticationFailed(), texts)
        return sign_in_page(request, core, message=message, status_code=401, username=username)
    if opened.row.stage == Stage.ACTIVE:
        metrics.sign_in(SignInOutcome.SUCCESS)
        target = safe_next(next)
    else:
        target = f"{PREFIX}/sign-in/next-step?next={quote(safe_next(next), safe='')}"
    redirect = RedirectResponse(target, status_code=303)
    set_cookie(redirect, request, core, COOKIE, opened.token, session_cookie_age(core))
    redirect.delete_cookie(PRE_COOKIE, path=PREFIX)
    return redirect


async def password_passed(
    session: Session, core: Core, user: StaffUser, client: str
) -> OpenedSession:
    """The session the right password opens: signed in, or at the step that follows."""
    stage = next_stage(user)
    if stage is Stage.ACTIVE:
        await StaffService(session, core).succeeded(user, user.username, client=client)
    opened = await ConsoleSessionService(session, core).open(user, stage=stage, client=client)
    log.info("console_password_accepted user_id=%s stage=%s", user.id, stage.value)
    return opened


def session_cookie_age(core: Core) -> int:
    """The cookie lives as long as a session may (ConsoleSessionService.absolute)."""
    return int(core.settings.api_token_ttl_hours * 3600)


# The steps after the password ---------------------------------------------------------


async def pending_sign_in(
    request: Request, session: Session, core: Core
) -> tuple[StaffUser, ConsoleSession, str]:
    """The unfinished sign-in of this browser, or back to the password: when there is
    none, when it ran out, or when it is asked from another address than the one that
    passed the password."""
    token = request.cookies.get(COOKIE) or ""
    service = ConsoleSessionService(session, core)
    resolved = await service.resolve_step(token, client_of(request, core)) if token else None
    if resolved is None:
        ended = "?expired=1" if token else ""
        raise ConsoleProblem(401, redirect=f"{PREFIX}/sign-in{ended}")
    return resolved[0], resolved[1], token


def step_page(
    request: Request,
    core: Core,
    user: StaffUser,
    row: ConsoleSession,
    token: str,
    *,
    enrolment: Enrolment | None = None,
    message: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    texts = texts_for(request, core)
    template = "enrol.html" if row.stage == Stage.ENROL else "second_factor.html"
    secret = enrolment.secret if enrolment else ""
    return render(
        request,
        template,
        texts,
        status_code=status_code,
        csrf=ConsoleSessionService.csrf_of(core, token),
        message=message,
        username=user.username,
        required=two_factor_required(user.role),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        next=safe_next(request.query_params.get("next")),
    )


def check_step_csrf(request: Request, core: Core, token: str, presented: str) -> None:
    if not tokens_equal(ConsoleSessionService.csrf_of(core, token), presented):
        texts = texts_for(request, core)
        raise ConsoleProblem(403, texts._("This form has expired. Reload the page and try again."))


@router.get("/sign-in/next-step")
async def next_step(request: Request, core: CoreDep, session: ReadSessionDep) -> Response:
    user, row, token = await pending_sign_in(request, session, core)
    if row.stage == Stage.ACTIVE:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    enrolment = None
    if row.stage == Stage.ENROL:
        enrolment = await TwoFactor(session, core).begin(user, row)
    return step_page(request, core, user, row, token, enrolment=enrolment)


@router.get("/sign-in/enrol/qr.svg")
async def enrolment_qr(request: Request, core: CoreDep, session: ReadSessionDep) -> Response:
    """The QR code of the secret being set up: an image from our own origin (the CSP
    allows no inline script, and the secret never enters a third-party service)."""
    user, row, _token = await pending_sign_in(request, session, core)
    enrolment = TwoFactor(session, core).enrolment(user, row) if row.stage == Stage.ENROL else None
    if enrolment is None:
        return Response(status_code=404)
    image = qrcode.make(enrolment.uri, image_factory=SvgPathImage, border=2)
    return Response(
        image.to_string(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/sign-in/next-step")
async def submit_code(
    request: Request,
    core: CoreDep,
    session: WriteSessionDep,
    metrics: MetricsDep,
    code: Annotated[str, Form(max_length=32)] = "",
    csrf: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    user, row, token = await pending_sign_in(request, session, core)
    check_step_csrf(request, core, token, csrf)
    if row.stage == Stage.ACTIVE:
        return RedirectResponse(safe_next(next), status_code=303)
    texts = texts_for(request, core)
    factor = TwoFactor(session, core)
    enrolment = None
    if row.stage == Stage.ENROL:
        enrolment = factor.enrolment(user, row)
        if enrolment is None:
            # The key on the page ran out: a new one, and no code is checked (or counted).
            enrolment = await factor.begin(user, row)
            message = texts._(
                "That key worked for 10 minutes and has run out. Delete it from the app, "
                "add this new one and type the code it shows."
            )
            return step_page(
                request,
                core,
                user,
                row,
                token,
                enrolment=enrolment,
                message=message,
                status_code=401,
            )
    tried = await count_code(request, core, session, metrics, (user, row, token), enrolment)
    if isinstance(tried, Response):
        return tried
    recovery_codes: list[str] | None = None
    try:
        if row.stage == Stage.ENROL:
            recovery_codes = await factor.confirm(user, row, code)
        elif not await factor.verify(user, code):
            raise WrongSecondFactor()
    except WrongSecondFactor:
        message = texts._(
            "This code is wrong or was used already. Type the code the app shows now."
        )
        # Returned, not raised: the failure count must commit.
        return await wrong_code(
            request, core, session, metrics, (user, row, token), tried, message, enrolment
        )
    metrics.sign_in(SignInOutcome.SUCCESS)
    client = client_of(request, core)
    await StaffService(session, core).succeeded(user, user.username, client=client)
    await ConsoleSessionService(session, core).advance(row, user, Stage.ACTIVE)
    log.info("console_signed_in user_id=%s", user.id)
    if recovery_codes is None:
        return RedirectResponse(safe_next(next), status_code=303)
    # Shown once: the page is not stored by the browser (no-store on every console page).
    return render(request, "recovery_codes.html", texts, codes=recovery_codes, next=safe_next(next))


async def count_code(
    request: Request,
    core: Core,
    session: Session,
    metrics: MetricsDep,
    pending: tuple[StaffUser, ConsoleSession, str],
    enrolment: Enrolment | None = None,
) -> Response | int:
    """Count this code in its step: how many the step has taken with it, or the
    answer when it may not be checked at all (the address cools down, or the step
    took its codes already: two sent at once)."""
    user, row, token = pending
    texts = texts_for(request, core)
    try:
        await SignInLimits(session, core).check(user.username, client_of(request, core))
    except RateLimited as error:
        metrics.sign_in(SignInOutcome.THROTTLED)
        message = texts._("Too many attempts. Wait a little and try again.")
        response = step_page(
            request, core, user, row, token, enrolment=enrolment, message=message, status_code=429
        )
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    tried = await ConsoleSessionService(session, core).take_code(row)
    if tried > CODES_PER_STEP:
        return end_step(request, core, session, row)
    return tried


async def wrong_code(
    request: Request,
    core: Core,
    session: Session,
    metrics: MetricsDep,
    pending: tuple[StaffUser, ConsoleSession, str],
    tried: int,
    message: str,
    enrolment: Enrolment | None = None,
) -> Response:
    """A wrong code (or recovery code), the ``tried``-th of its step: counted like a
    failed sign-in; the step's last one ends it."""
    user, row, token = pending
    metrics.sign_in(SignInOutcome.FAILURE)
    await StaffService(session, core).failed(
        user.username, client=client_of(request, core), user=user
    )
    if tried >= CODES_PER_STEP:
        return end_step(request, core, session, row)
    return step_page(
        request, core, user, row, token, enrolment=enrolment, message=message, status_code=401
    )


def end_step(request: Request, core: Core, session: Session, row: ConsoleSession) -> Response:
    """The step took its five codes: it ends, and the password comes first again."""
    ConsoleSessionService(session, core).end_step(row)
    texts = texts_for(request, core)
    message = texts._("Too many wrong codes. Please sign in again.")
    response = sign_in_page(request, core, message=message, status_code=401)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


@router.post("/sign-in/recover")
async def recover(
    request: Request,
    core: CoreDep,
    session: WriteSessionDep,
    metrics: MetricsDep,
    recovery_code: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A lost phone: a recovery code in place of the app resets two-factor sign-in (the
    account's other sessions and tokens end) and this sign-in goes on to set it up anew."""
    user, row, token = await pending_sign_in(request, session, core)
    check_step_csrf(request, core, token, csrf)
    if row.stage != Stage.SECOND_FACTOR:
        return RedirectResponse(f"{PREFIX}/sign-in/next-step", status_code=303)
    texts = texts_for(request, core)
    tried = await count_code(request, core, session, metrics, (user, row, token))
    if isinstance(tried, Response):
        return tried
    try:
        await TwoFactor(session, core).use_recovery_code(user, recovery_code)
    except WrongSecondFactor:
        message = texts._("This recovery code is wrong or was used already.")
        return await wrong_code(request, core, session, metrics, (user, row, token), tried, message)
    # The reset ended every session of the account; this one goes on, to enrolment,
    # with the time an enrolment takes.
    row.revoked_at = None
    await ConsoleSessionService(session, core).advance(row, user, Stage.ENROL, restart=True)
    return RedirectResponse(
        f"{PREFIX}/sign-in/next-step?next={quote(safe_next(next), safe='')}", status_code=303
    )


@router.post("/sign-out")
async def sign_out(
    request: Request, viewer: WriteViewerDep, session: WriteSessionDep, core: CoreDep
) -> Response:
    await ConsoleSessionService(session, core).close(viewer.row, viewer.actor)
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response
