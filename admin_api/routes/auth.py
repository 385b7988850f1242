"""Sign in, sign out, and who am I (bearer tokens; TOTP for focal points and admins)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse

from admin_api.deps import ReadPrincipalDep, WritePrincipalDep
from admin_api.errors import domain_error_response, error_responses
from admin_api.metrics import SignInOutcome
from admin_api.routes import API_PREFIX
from admin_api.schemas.auth import MeOut, Permissions, TokenForm, TokenOut
from admin_api.web.clients import client_address, trusted_networks
from admin_api.web.sessions import CoreDep, MetricsDep, WriteSessionDep, unit_of_work
from storage.errors import AuthenticationFailed, DomainError, PermissionDenied, RateLimited
from storage.services.staff import IssuedToken, StaffService

log = logging.getLogger("holos.api")

router = APIRouter(prefix=API_PREFIX, tags=["auth"])

# Tokens must not be cached by browsers or proxies (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post(
    "/auth/token",
    response_model=TokenOut,
    summary="Sign in",
    responses=error_responses(401, 403, 413, 422, 429),
)
async def sign_in(
    form: Annotated[TokenForm, Form()],
    request: Request,
    core: CoreDep,
    metrics: MetricsDep,
    response: Response,
) -> TokenOut | JSONResponse:
    """Exchange a username, password and (for accounts with two-factor sign-in) the
    current authenticator code in ``otp`` for a bearer token (OAuth2 password grant).

    - A wrong password, or a wrong or reused code: 401 ``authentication_failed``, the
      same answer for both; each counts as a failed attempt.
    - The right password but no ``otp`` for an account that has two-factor sign-in:
      401 ``otp_required``.
    - A focal point or admin who has not set up two-factor sign-in: 403
      ``two_factor_enrolment_required`` (set it up in the console, or
      ``holos user reset-2fa`` on the server).
    - Five failures for one username from one address, or thirty from one address, within
      15 minutes: 429 with Retry-After. Other addresses are not affected; an IPv6
      address counts as its /64.
    - After three failures on one account within 15 minutes, from anywhere, each further
      sign-in to it is answered only after a wait that doubles from 1 s up to 30 s.
      Never refused for that: the right password and code still get in.
    """
    client = client_address(request, trusted_networks(core.settings.trusted_proxies))
    try:
        async with unit_of_work(request, core) as session:
            attempt = await StaffService(session, core).begin_sign_in(form.username, client=client)
    except RateLimited:
        metrics.sign_in(SignInOutcome.THROTTLED)
        raise
    # Waited with no transaction open: a held write lock would stop everyone else.
    await core.clock.sleep(attempt.delay)
    issued: IssuedToken | DomainError
    try:
        async with unit_of_work(request, core) as session:
            service = StaffService(session, core)
            try:
                user = await service.sign_in(
                    form.username, form.password, client=client, otp=form.otp, attempt=attempt
                )
                issued = await service.issue_token(user)
            except (AuthenticationFailed, PermissionDenied) as error:
                # Caught inside: the transaction commits, and with it the failure count
                # that slows the next attempts.
                issued = error
    except RateLimited:
        metrics.sign_in(SignInOutcome.THROTTLED)
        raise
    if isinstance(issued, DomainError):
        metrics.sign_in(SignInOutcome.FAILURE)
        return domain_error_response(issued)
    metrics.sign_in(SignInOutcome.SUCCESS)
    log.info("signed_in user_id=%s", issued.user.id)
    response.headers.update(NO_STORE)
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


@router.post(
    "/auth/logout",
    status_code=204,
    response_class=Response,
    summary="Sign out",
    responses=error_responses(401),
)
async def sign_out(
    principal: WritePrincipalDep, session: WriteSessionDep, core: CoreDep
) -> Response:
    """Revoke the token this request was made with."""
    await StaffService(session, core).revoke_token(principal.token, principal.actor)
    log.info("signed_out user_id=%s", principal.user_id)
    return Response(status_code=204)


@router.get("/me", response_model=MeOut, summary="Who am I", responses=error_responses(401))
async def me(principal: ReadPrincipalDep) -> MeOut:
    actor = principal.actor
    user = principal.user
    return MeOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        permissions=Permissions(
            cases=actor.can_see_cases,
            sensitive_cases=actor.can_see_sensitive,
            users=actor.can_manage_users,
            audit=actor.can_read_audit,
        ),
        token_expires_at=principal.token.expires_at,
    )
