"""Limits of the HTTP layer: the request body size (``settings.api_max_body_bytes``,
answered 413 in JSON), and the client address that sign-in throttling counts by.

A declared ``Content-Length`` over the limit is refused before the application runs.
A body without one (chunked transfer) is counted as it streams in, and refused the
moment it passes the limit: the route never sees a byte of it, so nothing is stored.

It guards the API's own paths (``/api/``). Apps mounted beside it in one process (the
sandbox's Bot API emulator, which takes file uploads) keep limits of their own.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_api.errors import error_response


class BodyTooLarge(HTTPException):
    """Raised from ``receive``; FastAPI re-raises HTTPExceptions met while reading a body."""

    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, max_body_bytes: int, path_prefixes: tuple[str, ...] = ("/api/",)
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path_prefixes = path_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path_prefixes):
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Read outside FastAPI's body parsing (so not turned into a response there).
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        exc = BodyTooLarge(limit)
        response = error_response(413, exc.code, str(exc.detail), {"Connection": "close"})
        await response(scope, receive, send)


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Sequence[str]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def from_trusted_proxy(request: HTTPConnection, trusted: Sequence[IpNetwork]) -> bool:
    peer_ip = _address(request.client.host if request.client else "")
    return peer_ip is not None and any(peer_ip in net for net in trusted)


def forwarded_proto(request: HTTPConnection, proxies: Sequence[str]) -> str | None:
    """The scheme the client used, as a trusted proxy tells it (``X-Forwarded-Proto``;
    with several proxies, the first one's, which faced the client). ``None`` when the
    peer is not a trusted proxy or says nothing."""
    if not proxies or not from_trusted_proxy(request, trusted_networks(proxies)):
        return None
    header = request.headers.get("x-forwarded-proto", "")
    first = header.split(",")[0].strip().lower()
    return first or None


def client_address(request: HTTPConnection, trusted: Sequence[IpNetwork]) -> str:
    """The address of whoever sent the request.

    The TCP peer, unless the peer is a trusted proxy (``HOLOS_TRUSTED_PROXIES``): then
    ``X-Forwarded-For`` is read from the right, skipping trusted proxies, and the first
    address that is not one is the client. Anything to the left of it could be forged by
    the client and is ignored; so is the header from a peer that is not trusted.
    """
    peer = request.client.host if request.client else ""
    peer_ip = _address(peer)
    if peer_ip is None or not any(peer_ip in net for net in trusted):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        ip = _address(hop)
        if ip is None:
            return peer  # a malformed chain: fall back to what TCP says
        if not any(ip in net for net in trusted):
            return str(ip)
    return peer
