"""The app as the CLI embeds it: other apps mounted beside the API (the sandbox's Bot API
emulator) and routes kept out of the schema (the webhook, on a path derived from its
secret). Those keep their own body limits and never show their paths in metrics."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from admin_api.app import create_app
from admin_api.server import bind_socket, running_api
from storage.core import Core

SECRET_PATH = "/telegram/0123456789abcdef0123456789abcdef"


async def test_mounted_apps_and_hidden_routes(core: Core) -> None:
    async def echo_size(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(await request.body())))

    app = create_app(core)
    app.mount("/tg", Starlette(routes=[Route("/upload", echo_size, methods=["POST"])]))
    hidden = APIRouter()
    hidden.add_api_route(SECRET_PATH, echo_size, methods=["POST"], include_in_schema=False)
    app.include_router(hidden)

    big = b"x" * (core.settings.api_max_body_bytes * 2)
    async with (
        running_api(app, bind_socket("127.0.0.1", 0)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        upload = await http.post("/tg/upload", content=big)
        assert (upload.status_code, upload.text) == (200, str(len(big)))
        assert (await http.post(SECRET_PATH, content=b"{}")).status_code == 200
        refused = await http.post("/api/v1/auth/token", content=big)
        assert (refused.status_code, refused.json()["code"]) == (413, "payload_too_large")
        assert (await http.get("/metrics")).status_code == 404  # not on the public app
    metrics = app.state.metrics.exposition()[0].decode()
    assert 'route="/tg/upload"' in metrics
    assert 'route="hidden"' in metrics
    assert SECRET_PATH not in metrics and "0123456789abcdef" not in metrics
