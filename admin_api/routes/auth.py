"""Sign in, sign out, and who am I (SPEC §6)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Response
from fastapi.responses import JSONResponse

from admin_api.deps import CoreDep, MetricsDep, PrincipalDep, SessionDep
from admin_api.errors import domain_error_response, error_responses
from admin_api.metrics import SignInOutcome
from admin_api.routes import API_PREFIX
from admin_api.schemas.auth import MeOut, Permissions, TokenForm, TokenOut
from storage.errors import AuthenticationFailed, RateLimited
from storage.services.staff import StaffService

log = logging.getLogger("holos.api")

router = APIRouter(prefix=API_PREFIX, tags=["auth"])

# Tokens must not be cached by browsers or proxies (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post(
    "/auth/token",
    response_model=TokenOut,
    summary="Sign in",
    responses=error_responses(401, 413, 422, 429),
)
async def sign_in(
    form: Annotated[TokenForm, Form()],
    session: SessionDep,
    core: CoreDep,
    metrics: MetricsDep,
    response: Response,
) -> TokenOut | JSONResponse:
    """Exchange a username and password for a bearer token (OAuth2 password grant).

    After five failed attempts for a username, each further attempt must wait (429 with
    Retry-After), doubling up to five minutes.
    """
    service = StaffService(session, core)
    try:
        user = await service.authenticate(form.username, form.password)
    except RateLimited:
        metrics.sign_in(SignInOutcome.THROTTLED)
        raise
    if user is None:
        metrics.sign_in(SignInOutcome.FAILURE)
        # Returned, not raised: the request's transaction then commits, and with it the
        # failure count that slows the next attempts down.
        return domain_error_response(AuthenticationFailed())
    issued = await service.issue_token(user)
    metrics.sign_in(SignInOutcome.SUCCESS)
    log.info("signed_in user_id=%s", user.id)
    response.headers.update(NO_STORE)
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


@router.post(
    "/auth/logout",
    status_code=204,
    response_class=Response,
    summary="Sign out",
    responses=error_responses(401),
)
async def sign_out(principal: PrincipalDep, session: SessionDep, core: CoreDep) -> Response:
    """Revoke the token this request was made with."""
    await StaffService(session, core).revoke_token(principal.token, principal.actor)
    log.info("signed_out user_id=%s", principal.user_id)
    return Response(status_code=204)


@router.get("/me", response_model=MeOut, summary="Who am I", responses=error_responses(401))
async def me(principal: PrincipalDep) -> MeOut:
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
