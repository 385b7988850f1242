"""Every error the API answers, as JSON ``{"code", "detail"}``, decided in one place.

Domain errors map to a status by their base class (:data:`DOMAIN_STATUS`); the code is
the error's own stable ``code``. Validation errors keep only ``loc``, ``msg`` and
``type``: pydantic's ``input`` and ``ctx`` would echo what was sent, passwords included.
An unexpected exception becomes a bare 500 and is logged by type and frames only, since
its message may carry SQL parameters, and so narratives.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from admin_api.schemas.common import ErrorBody, ValidationErrorBody, ValidationIssue
from admin_api.web.middleware import HttpMiddleware, WatchedSend
from storage.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    QuotaReached,
    RateLimited,
    StaleVersion,
)

log = logging.getLogger("holos.api")

# Where a framework error is a page rather than JSON: a path prefix and what draws it.
PageErrors = tuple[str, Callable[[Request, int], Response]]

# The one mapping from domain errors to HTTP. Subclasses inherit their base's status.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    InvalidInput: 422,
    Conflict: 409,
    StaleVersion: 412,
    RateLimited: 429,
    # Raised on the bot side today; a daily quota is a rate limit if the API ever meets it.
    QuotaReached: 429,
    AuthenticationFailed: 401,
    PermissionDenied: 403,
}
UNMAPPED_DOMAIN_STATUS = 400

# Codes for errors Starlette raises itself (unknown path, wrong method, …).
HTTP_CODES: dict[int, str] = {
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}

DESCRIPTIONS: dict[int, str] = {
    401: "Not signed in, or the token is unknown, expired or revoked.",
    403: "Your role does not allow this.",
    404: "Not found, or not visible to your role.",
    409: "Conflicts with the current state.",
    412: "The If-Match version is not the current one.",
    413: "The request body is too large.",
    422: "The request is not valid.",
    428: "If-Match with the current version is required.",
    429: "Too many attempts; see Retry-After.",
    503: "Not ready.",
}


class ApiError(Exception):
    """An error of the HTTP layer itself (authentication, preconditions)."""

    def __init__(
        self, status: int, code: str, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})


def not_authenticated() -> ApiError:
    return ApiError(
        401,
        "not_authenticated",
        "Sign in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token.",
        {"WWW-Authenticate": "Bearer"},
    )


def invalid_token() -> ApiError:
    return ApiError(
        401,
        "invalid_token",
        "The token is unknown, expired or revoked, or the account is disabled; sign in again.",
        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return UNMAPPED_DOMAIN_STATUS


def error_response(
    status: int, code: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(code=code, detail=detail)
    return JSONResponse(body.model_dump(), status_code=status, headers=dict(headers or {}))


def domain_error_response(exc: DomainError) -> JSONResponse:
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, AuthenticationFailed):
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(status_for(exc), exc.code, exc.message, headers)


def _issues(exc: RequestValidationError) -> list[ValidationIssue]:
    # Only these three keys: "input" and "ctx" may hold what the client sent.
    return [
        ValidationIssue(loc=list(error.get("loc", ())), msg=str(error["msg"]), type=error["type"])
        for error in exc.errors()
    ]


def _summary(issues: list[ValidationIssue]) -> str:
    first = issues[0] if issues else None
    if first is None:
        return "The request is not valid."
    where = ".".join(str(part) for part in first.loc)
    more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
    return f"The request is not valid: {where}: {first.msg}{more}."


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return domain_error_response(exc)


async def _on_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.detail, exc.headers)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    issues = _issues(exc)
    body = ValidationErrorBody(code="validation_error", detail=_summary(issues), errors=issues)
    return JSONResponse(body.model_dump(), status_code=422)


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # The framework's only 400: a body it cannot decode (not UTF-8, broken form data).
        # To a client that is the same as malformed JSON, which is a 422.
        issue = ValidationIssue(
            loc=["body"], msg="The body cannot be decoded.", type="body_undecodable"
        )
        body = ValidationErrorBody(
            code="validation_error", detail=_summary([issue]), errors=[issue]
        )
        return JSONResponse(body.model_dump(), status_code=422)
    code = getattr(exc, "code", None) or HTTP_CODES.get(exc.status_code, "http_error")
    # Typed str, but FastAPI's own HTTPException lets any value through.
    raw: object = exc.detail
    detail = raw if isinstance(raw, str) else "The request cannot be served."
    return error_response(exc.status_code, code, detail, exc.headers)


def install_error_handlers(app: FastAPI, *, pages: Sequence[PageErrors] = ()) -> None:
    """JSON for the API; under each of ``pages``' prefixes (the console) the framework's
    own errors (no such path, wrong method, a form it cannot read) are that face's page."""

    def page_for(request: Request) -> Callable[[Request, int], Response] | None:
        path = request.url.path
        return next((draw for prefix, draw in pages if path.startswith(prefix)), None)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        draw = page_for(request)
        if draw is not None:
            return draw(request, 422)
        return await _on_validation_error(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        draw = page_for(request)
        if draw is not None:
            assert isinstance(exc, StarletteHTTPException)
            return draw(request, exc.status_code)
        return await _on_http_error(request, exc)

    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each error status it can answer, with its body."""
    return {
        status: {
            "model": ValidationErrorBody if status == 422 else ErrorBody,
            "description": DESCRIPTIONS.get(status, "Error."),
        }
        for status in statuses
    }


class InternalErrorMiddleware(HttpMiddleware):
    """Turns an unexpected exception into a JSON 500 and logs it without its message.

    It sits inside Starlette's ServerErrorMiddleware and does not re-raise, so neither
    Starlette nor uvicorn prints the exception text (which may hold SQL parameters).
    """

    def __init__(self, app: ASGIApp, pages: Sequence[PageErrors] = ()) -> None:
        super().__init__(app)
        self.pages = pages

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        watched = WatchedSend(send)
        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            route = getattr(scope.get("route"), "path", "unmatched")
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("unhandled_error route=%s error=%s\n%s", route, type(exc).__name__, frames)
            if not watched.started:
                await self._answer(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        draw = next((draw for prefix, draw in self.pages if path.startswith(prefix)), None)
        response: Response | None = None
        if draw is not None:
            try:
                response = draw(Request(scope, receive), 500)
            except Exception:  # the page itself failed: JSON, as for the API
                response = None
        if response is None:
            response = error_response(
                500, "internal_error", "Something went wrong on our side; nothing was saved."
            )
        await response(scope, receive, send)
