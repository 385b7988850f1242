"""The base of the app's ASGI middlewares (security headers, body limit, error catching,
metrics, the console's headers): plain ASGI rather than Starlette's
``BaseHTTPMiddleware``, which runs the app in a task of its own and buffers what it
sends, for every request.

A middleware says which requests it looks at (:attr:`HttpMiddleware.paths`; anything else,
lifespan and websockets included, passes straight through) and does its work in
:meth:`HttpMiddleware.handle`; :class:`WatchedSend` tells it whether and how the answer
started, and may add headers to it.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]


class HttpMiddleware:
    """Runs :meth:`handle` for HTTP requests under one of :attr:`paths`."""

    paths: tuple[str, ...] = ("/",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.paths):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class WatchedSend:
    """A request's ``send``, watched: whether the answer has started (after that, an
    error can no longer become an answer of its own), its status, and ``edit`` applied
    to its headers on the way out."""

    def __init__(self, send: Send, edit: Callable[[Headers], Headers] | None = None) -> None:
        self._send = send
        self._edit = edit
        self.status: int | None = None

    @property
    def started(self) -> bool:
        return self.status is not None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            if self._edit is not None:
                message["headers"] = self._edit(list(message.get("headers", [])))
        await self._send(message)
