"""Security headers on every answer of the app (API, console, public pages, docs).

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` everywhere: a
  case reference in a URL must not leak to another site through ``Referer``.
- ``Cache-Control: no-store`` on every ``/api/`` answer, errors included: case data must
  not linger in a browser's or a proxy's cache.
- A strict ``Content-Security-Policy`` on every HTML answer that has none of its own
  (pages with their own, such as the console's or the docs', keep theirs).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = str(scope.get("path", "")).startswith(API_PATH)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower(): value for name, value in headers}
                wanted = list(EVERYWHERE)
                if is_api:
                    # Replaces any weaker policy a route may have set.
                    headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
                    present.pop(b"cache-control", None)
                    wanted.append(NO_STORE)
                if present.get(b"content-type", b"").startswith(b"text/html"):
                    wanted.append(CSP)
                headers.extend((n, v) for n, v in wanted if n not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
