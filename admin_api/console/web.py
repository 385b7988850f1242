"""What every console page shares: templates, the signed-in viewer, CSRF, security
headers, and turning domain errors into pages instead of JSON.

The session id travels in an ``HttpOnly``, ``SameSite=Strict`` cookie, ``Secure`` when
people reach the console over HTTPS: ``HOLOS_PUBLIC_URL`` is https, or a trusted proxy
(``HOLOS_TRUSTED_PROXIES``) says so in ``X-Forwarded-Proto``. Every state-changing
request must carry the session's CSRF token, as a form field or the ``X-CSRF-Token``
header htmx sends.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from admin_api.console import labels
from admin_api.web.clients import forwarded_proto
from admin_api.web.headers import PAGE_HEADERS, with_missing
from admin_api.web.i18n import Texts, pick_language
from admin_api.web.middleware import Headers, HttpMiddleware, WatchedSend
from admin_api.web.pages import environment, render_page
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.access import Actor
from storage.core import Core
from storage.db import Session
from storage.errors import CaseNotFound, DomainError, NotFound, PermissionDenied
from storage.models import ConsoleSession, StaffUser
from storage.services.console import ConsoleSessionService, Stage
from storage.services.staff import MIN_PASSWORD

log = logging.getLogger("holos.console")

PREFIX = "/console"
COOKIE = "holos_console"
PRE_COOKIE = "holos_console_pre"  # binds the sign-in form's CSRF token before a session
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
HERE = Path(__file__).resolve().parent

templates = environment(HERE / "templates")


class ConsoleHeaders(HttpMiddleware):
    """Security headers on every console answer (pages, fragments, files, static; the
    static files keep the ``no-cache`` they are served with)."""

    paths = (PREFIX,)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        def edit(headers: Headers) -> Headers:
            return with_missing(headers, PAGE_HEADERS)

        await self.app(scope, receive, WatchedSend(send, edit))


def secure_cookies(request: Request, core: Core) -> bool:
    """Whether the browser reached us over HTTPS (the TLS proxy speaks HTTP to us)."""
    if (core.settings.public_url or "").startswith("https://"):
        return True
    if request.url.scheme == "https":
        return True
    return forwarded_proto(request, core.settings.trusted_proxies) == "https"


def tokens_equal(expected: str, presented: str | None) -> bool:
    """A form token check in constant time. Compared as bytes: ``compare_digest``
    raises on a str with non-ASCII characters, and anyone can send those."""
    if not presented:
        return False
    return secrets.compare_digest(expected.encode(), presented.encode())


# Pages ------------------------------------------------------------------------------


@dataclass
class Viewer:
    """The signed-in staff member looking at a page."""

    actor: Actor
    user: StaffUser
    row: ConsoleSession
    token: str
    csrf: str
    texts: Texts

    @property
    def language(self) -> str:
        return self.texts.language


def page_context(texts: Texts, viewer: Viewer | None) -> dict[str, Any]:
    """What every console page has besides its language (admin_api.web.pages)."""
    return {
        "viewer": viewer,
        "csrf": viewer.csrf if viewer else "",
        "labels": labels,
        "label": lambda table, code: texts.gettext(table[code]) if code in table else code,
        "prefix": PREFIX,
        # The staff rules' minimum, so the form's hint and check follow them.
        "min_password": MIN_PASSWORD,
    }


def render(
    request: Request,
    template: str,
    texts: Texts,
    viewer: Viewer | None = None,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    context = {**page_context(texts, viewer), **values}
    return render_page(templates, request, template, texts, status_code=status_code, **context)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def go(request: Request, url: str) -> Response:
    """Redirect after a form (303), or tell htmx to load ``url`` as a whole page."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


class ConsoleProblem(Exception):
    """An answer other than the page asked for: a redirect or an error page."""

    def __init__(self, status: int, message: str = "", *, redirect: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.redirect = redirect


def texts_for(request: Request, core: Core) -> Texts:
    texts = getattr(request.state, "console_texts", None)
    if texts is None:
        texts = Texts(
            pick_language(
                request.cookies.get("holos_lang"), request.headers.get("accept-language")
            ),
            core.settings.timezone,
        )
    return texts


class ConsoleRoute(APIRoute):
    """Console routes answer with pages: a domain error becomes a page in the viewer's
    language (after the request's transaction has rolled back), never JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ConsoleProblem as problem:
                if problem.redirect:
                    return go(request, problem.redirect)
                return error_page(request, problem.status, problem.message)
            except DomainError as error:
                return error_page(request, *problem_of(error, texts_for_error(request)))

        return route


def texts_for_error(request: Request) -> Texts:
    return texts_for(request, request.app.state.core)


def problem_of(error: DomainError, texts: Texts) -> tuple[int, str]:
    if isinstance(error, NotFound):
        if isinstance(error, CaseNotFound):
            return 404, texts._("There is no such case.")
        return 404, texts._("Not found.")
    if isinstance(error, PermissionDenied):
        return 403, texts._("Your role does not allow this.")
    return 400, error_text(error, texts)


def error_text(error: DomainError, texts: Texts) -> str:
    reason = getattr(error, "reason", None)
    msgid = (
        labels.ERROR.get(f"{error.code}:{reason}")
        or labels.ERROR.get(error.code)
        or labels.ERROR["invalid_input"]
    )
    return texts.gettext(msgid)


def http_error_page(request: Request, status: int) -> Response:
    """A framework error under /console (no such page, a form address opened as a page,
    a form the browser sent broken) as a console page, never JSON."""
    texts = texts_for_error(request)
    if status == 405 and request.method in ("GET", "HEAD"):
        # An address that only takes forms, opened as a page (a bookmark, a reload after
        # signing in): the page it belongs to.
        return RedirectResponse(page_of(request), status_code=303)
    messages = {
        404: texts._("There is no such page."),
        405: texts._("This address does not take that request. Go back and try again."),
        422: labels.ERROR["invalid_input"],
        500: texts._("Something went wrong on our side; nothing was saved. Go back and try again."),
    }
    message = messages.get(status)
    if message is None:
        message = texts._("Something went wrong. Go back and try again.")
    elif status == 422:
        message = texts.gettext(message)
    # Drawn after the request's database session has ended: without the viewer's rows
    # (the page then has no menu, only the way back to the worklist).
    return render(
        request, "error.html", texts, None, status_code=status, status=status, message=message
    )


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    texts = texts_for_error(request)
    viewer = getattr(request.state, "console_viewer", None)
    return render(
        request, "error.html", texts, viewer, status_code=status, status=status, message=message
    )


# The viewer and CSRF ----------------------------------------------------------------


# A page's own background request (the worklist's refresh), by its query string: it
# never counts as the person using the console (ConsoleSessionService.resolve).
BACKGROUND_FRAGMENT = "poll"


def is_background(request: Request) -> bool:
    return request.query_params.get("fragment") == BACKGROUND_FRAGMENT


def page_of(request: Request) -> str:
    """The console page a request belongs to: the longest leading part of its path that
    a GET answers (a form's case page for ``POST /console/cases/{ref}/replies``), else
    the worklist. Where a person goes back to after signing in again: never to an
    address that only takes forms."""
    parts = request.url.path.rstrip("/").split("/")
    for end in range(len(parts), 2, -1):
        candidate = "/".join(parts[:end])
        scope = {"type": "http", "path": candidate, "method": "GET", "root_path": ""}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            return candidate
    return f"{PREFIX}/cases"


def sign_in_url(request: Request, *, expired: bool = False) -> str:
    """Sign in, then back to where the person was: the same page (with its query, less a
    fragment's own parameters: the whole page, not a piece of it) for a GET, the page of
    the form for anything else (what was typed waits in the browser: static/keep.js)."""
    if request.method in ("GET", "HEAD"):
        target = request.url.path
        query = [
            (k, v) for k, v in request.query_params.multi_items() if k not in ("fragment", "shown")
        ]
        if query:
            target += "?" + urlencode(query)
    else:
        target = page_of(request)
    url = f"{PREFIX}/sign-in?next={quote(target, safe='')}"
    return url + "&expired=1" if expired else url


async def current_viewer(request: Request, session: Session, core: Core) -> Viewer:
    token = request.cookies.get(COOKIE)
    service = ConsoleSessionService(session, core)
    resolved = await service.resolve(token, touch=not is_background(request)) if token else None
    if resolved is None:
        raise ConsoleProblem(401, redirect=sign_in_url(request, expired=bool(token)))
    user, row = resolved
    if row.stage != Stage.ACTIVE:
        raise ConsoleProblem(401, redirect=f"{PREFIX}/sign-in/next-step")
    language = pick_language(
        await service.language(user.id), request.headers.get("accept-language")
    )
    texts = Texts(language, core.settings.timezone)
    viewer = Viewer(
        actor=Actor.staff(user.id, user.username, user.role),
        user=user,
        row=row,
        token=token or "",
        csrf=service.csrf_token(token or ""),
        texts=texts,
    )
    request.state.console_texts = texts
    request.state.console_viewer = viewer
    # By method, not by scope: a form that only reads (a preview) is checked too.
    if request.method not in ("GET", "HEAD"):
        await check_csrf(request, viewer.csrf)
    return viewer


async def reading_viewer(request: Request, session: ReadSessionDep, core: CoreDep) -> Viewer:
    """The viewer of a page that only reads, in its read scope."""
    return await current_viewer(request, session, core)


async def writing_viewer(request: Request, session: WriteSessionDep, core: CoreDep) -> Viewer:
    """The viewer of a form that changes something, in its write transaction (the
    session row and account may be what it changes)."""
    return await current_viewer(request, session, core)


async def check_csrf(request: Request, expected: str) -> None:
    presented = request.headers.get(CSRF_HEADER)
    if not presented:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not tokens_equal(expected, presented):
        log.warning("console_csrf_refused")
        texts = request.state.console_texts
        raise ConsoleProblem(403, texts._("This form has expired. Reload the page and try again."))


ReadViewerDep = Annotated[Viewer, Depends(reading_viewer)]
WriteViewerDep = Annotated[Viewer, Depends(writing_viewer)]


def require(allowed: bool, texts: Texts) -> None:
    if not allowed:
        raise ConsoleProblem(403, texts._("Your role does not allow this."))
