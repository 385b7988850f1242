"""The request body size limit of the API (``settings.api_max_body_bytes``, answered 413
in JSON).

A declared ``Content-Length`` over the limit is refused before the application runs.
A body without one (chunked transfer) is counted as it streams in, and refused the
moment it passes the limit: the route never sees a byte of it, so nothing is stored.

It guards the API's own paths (``/api/``). Apps mounted beside it in one process (the
sandbox's Bot API emulator, which takes file uploads) keep limits of their own.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_api.errors import error_response
from admin_api.web.middleware import HttpMiddleware, WatchedSend


class BodyTooLarge(HTTPException):
    """Raised from ``receive``; FastAPI re-raises HTTPExceptions met while reading a body."""

    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class BodyLimitMiddleware(HttpMiddleware):
    def __init__(
        self, app: ASGIApp, max_body_bytes: int, path_prefixes: tuple[str, ...] = ("/api/",)
    ) -> None:
        super().__init__(app)
        self.max_body_bytes = max_body_bytes
        self.paths = path_prefixes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        watched = WatchedSend(send)
        try:
            await self.app(scope, counting_receive, watched)
        except BodyTooLarge:
            # Read outside FastAPI's body parsing (so not turned into a response there).
            if watched.started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        exc = BodyTooLarge(limit)
        response = error_response(413, exc.code, str(exc.detail), {"Connection": "close"})
        await response(scope, receive, send)
