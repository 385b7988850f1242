"""Reaching an app in this process: httpx's ASGI transport hands each request to the app
as uvicorn would (one task per request, the same middleware stack, the client at
127.0.0.1), without a socket, a server task or a connection per request. Tests that need
what only a real server shows (streaming, the bytes on the wire) serve the app with
uvicorn on loopback instead."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

IN_PROCESS_URL = "http://127.0.0.1"


class TaskPerRequest(httpx.ASGITransport):
    """Each request in a task of its own, as uvicorn runs it: context variables the app
    sets stay in that request, and concurrent requests really interleave."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        handle = super().handle_async_request
        return await asyncio.get_running_loop().create_task(handle(request))


def in_process(app: FastAPI) -> httpx.AsyncClient:
    # raise_app_exceptions=False: an exception escaping the app is a 500, as from uvicorn.
    transport = TaskPerRequest(app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_URL, timeout=30)
