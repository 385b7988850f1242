"""Security headers on every answer of the app (API, console, public pages, docs).

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` everywhere: a
  case reference in a URL must not leak to another site through ``Referer``.
- ``Cache-Control: no-store`` on every ``/api/`` answer, errors included: case data must
  not linger in a browser's or a proxy's cache.
- A strict ``Content-Security-Policy`` on every HTML answer that has none of its own
  (pages with their own, such as the docs', keep theirs).
- :data:`PAGE_HEADERS` on every server-rendered page: the strict policy, no framing,
  nothing stored (the console adds them to all it serves; the public pages are cacheable).
- The console's own styles and scripts (:class:`RevalidatedStaticFiles`): ``no-cache``, so
  a browser keeps them and asks by ETag (a 304) rather than loading them for every page.
"""

from __future__ import annotations

import os
from os import PathLike

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from admin_api.web.middleware import Headers, HttpMiddleware, WatchedSend

API_PATH = "/api/"

STRICT_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

EVERYWHERE: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
NO_STORE = (b"cache-control", b"no-store")
CSP = (b"content-security-policy", STRICT_CSP.encode())
PAGE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    CSP,
    *EVERYWHERE,
    (b"x-frame-options", b"DENY"),
    NO_STORE,
)


def with_missing(headers: Headers, wanted: tuple[tuple[bytes, bytes], ...]) -> Headers:
    """``headers`` and each of ``wanted`` the answer does not carry already."""
    present = {name.lower() for name, _ in headers}
    return [*headers, *((n, v) for n, v in wanted if n not in present)]


class SecurityHeadersMiddleware(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_api = str(scope.get("path", "")).startswith(API_PATH)

        def edit(headers: Headers) -> Headers:
            wanted = list(EVERYWHERE)
            if is_api:
                # Replaces any weaker policy a route may have set.
                headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
                wanted.append(NO_STORE)
            content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
            if content_type.startswith(b"text/html"):
                wanted.append(CSP)
            return with_missing(headers, tuple(wanted))

        await self.app(scope, receive, WatchedSend(send, edit))


class RevalidatedStaticFiles(StaticFiles):
    """Static files (styles, scripts) a browser keeps and revalidates by their ETag, a 304
    when unchanged, instead of fetching and parsing them again for every page as
    ``no-store`` made it: they hold no case data, and staff on a slow link load each once."""

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response
