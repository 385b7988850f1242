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
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_api.console import labels
from admin_api.console.i18n import Texts, pick_language
from admin_api.deps import CoreDep, SessionDep
from admin_api.headers import STRICT_CSP
from admin_api.limits import forwarded_proto
from storage.access import Actor
from storage.core import Core
from storage.display import INVISIBLE, marker
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

# The console's policy is the one every HTML answer gets (admin_api/headers.py).
CSP = STRICT_CSP
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def visible(text: str | None) -> Markup:
    """What people wrote, escaped, with each bidi control, zero-width or control
    character shown as a marker such as ⟨U+202E⟩ (storage.display): it can neither
    reorder nor hide what staff read. The stored text is untouched."""
    written = text or ""
    pieces: list[Markup] = []
    last = 0
    for match in INVISIBLE.finditer(written):
        pieces.append(escape(written[last : match.start()]))
        pieces.append(MARKER.format(marker(match.group())))
        last = match.end()
    pieces.append(escape(written[last:]))
    return Markup("").join(pieces)


MARKER = Markup('<span class="invisible-char">{}</span>')
templates.filters["visible"] = visible


class ConsoleHeaders:
    """Security headers on every console answer (pages, fragments, files, static)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


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


def page_context(request: Request, texts: Texts, viewer: Viewer | None) -> dict[str, Any]:
    t = texts.gettext
    return {
        "request": request,
        "_": t,
        "ngettext": texts.ngettext,
        "pgettext": texts.pgettext,
        "texts": texts,
        "lang": texts.language,
        "viewer": viewer,
        "csrf": viewer.csrf if viewer else "",
        "labels": labels,
        "label": lambda table, code: t(table[code]) if code in table else code,
        "when": texts.when,
        "prefix": PREFIX,
        "path": request.url.path,
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
    context = page_context(request, texts, viewer)
    context.update(values)
    body = templates.get_template(template).render(context)
    return HTMLResponse(body, status_code=status_code)


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


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    texts = texts_for_error(request)
    viewer = getattr(request.state, "console_viewer", None)
    return render(
        request, "error.html", texts, viewer, status_code=status, status=status, message=message
    )


# The viewer and CSRF ----------------------------------------------------------------


def sign_in_url(request: Request, *, expired: bool = False) -> str:
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    url = f"{PREFIX}/sign-in?next={quote(target, safe='')}"
    return url + "&expired=1" if expired else url


async def current_viewer(request: Request, session: SessionDep, core: CoreDep) -> Viewer:
    token = request.cookies.get(COOKIE)
    service = ConsoleSessionService(session, core)
    resolved = await service.resolve(token) if token else None
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
    if request.method not in ("GET", "HEAD"):
        await check_csrf(request, viewer.csrf)
    return viewer


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


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def require(allowed: bool, texts: Texts) -> None:
    if not allowed:
        raise ConsoleProblem(403, texts._("Your role does not allow this."))
