"""The emulator as an ASGI app: the Bot API wire format, file downloads, control API, chat page.

Routes are relative to wherever the app is mounted, so the sandbox can mount it under a prefix
(``/tg``) and point aiogram at ``http://host/tg`` with ``TelegramAPIServer.from_base``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tgemu.control import control_router
from tgemu.dispatch import Outcome, dispatch_call, refuse_unparsable
from tgemu.errors import ControlError
from tgemu.files import served_as
from tgemu.state import TOKEN_RE, Emulator
from tgemu.wire import parse_body

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
_SEND_KEY = "holos.emulator.send"


class _KeepSend:
    """Remember the server's ``send`` so a "drop" fault can find the connection to close."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[_SEND_KEY] = send
        await self.app(scope, receive, send)


def _find_transport(send: Any, depth: int = 0) -> asyncio.BaseTransport | None:
    """Find uvicorn's transport behind ``send``, looking through middleware wrappers.

    ASGI offers no way to close a connection without answering, and a dropped connection is
    exactly what the fault must simulate, so this looks for the transport held by the server's
    bound ``send`` (directly, or inside the closures Starlette middleware wrap it in).
    """
    if depth > 10:
        return None
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if isinstance(transport, asyncio.BaseTransport):
        return transport
    for cell in getattr(send, "__closure__", None) or ():
        try:
            content = cell.cell_contents
        except ValueError:
            continue
        if callable(content) and content is not send:
            found = _find_transport(content, depth + 1)
            if found is not None:
                return found
    return None


class _DroppedConnection(Exception):
    """Raised to make the server abort a response it has already started."""


async def _drop(request: Request) -> Response:
    send = request.scope.get(_SEND_KEY)
    transport = _find_transport(send)
    if transport is not None:
        transport.close()
        # Let the server notice the disconnect so it does not try to answer.
        try:
            async with asyncio.timeout(2):
                while (await request.receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:
            pass
        return Response(status_code=204)
    # Fallback for servers whose transport is out of reach: start a response that promises a
    # body, then fail, which makes the server close the connection mid-response.
    if send is not None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )
    raise _DroppedConnection("emulator fault: connection dropped")


def _respond(outcome: Outcome) -> Response:
    return JSONResponse(outcome.body, status_code=outcome.status)


def create_app(emulator: Emulator) -> FastAPI:
    """Build the emulator's ASGI app around ``emulator`` (state is not shared between apps)."""
    app = FastAPI(
        title="Holos Telegram Bot API emulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.emulator = emulator
    app.add_middleware(_KeepSend)
    app.include_router(control_router(emulator))

    @app.exception_handler(ControlError)
    async def control_error(request: Request, exc: ControlError) -> JSONResponse:
        return JSONResponse({"ok": False, "detail": exc.detail}, status_code=exc.status)

    @app.api_route("/bot{token}/{method}", methods=["GET", "POST"])
    async def bot_api(request: Request, token: str, method: str) -> Response:
        body = await request.body()
        try:
            params, files, form = await parse_body(
                request.headers.get("content-type", ""), body, request.url.query.encode()
            )
        except ValueError as exc:
            return _respond(refuse_unparsable(emulator, token, method, str(exc)))
        outcome = await dispatch_call(emulator, token, method, params, files, form=form)
        if outcome.drop:
            return await _drop(request)
        return _respond(outcome)

    @app.get("/file/bot{token}/{file_path:path}")
    async def download(token: str, file_path: str) -> Response:
        if not TOKEN_RE.match(token):
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        stored = emulator.world(token).files.by_path(file_path)
        if stored is None or stored.data is None:
            return JSONResponse(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404
            )
        media_type, headers = served_as(stored)
        return Response(stored.data, media_type=media_type, headers=headers)

    @app.get("/sandbox")
    async def sandbox_redirect() -> RedirectResponse:
        # Relative, so it also works under a mount prefix.
        return RedirectResponse("sandbox/", status_code=307)

    @app.get("/sandbox/")
    async def sandbox_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "sandbox.html", media_type="text/html")

    return app
