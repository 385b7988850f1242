"""The API with real bearer tokens from ``/auth/token``, on SQLite and PostgreSQL.

By default a test reaches the app in this process: httpx's ASGI transport hands each
request to the app as uvicorn would (one task per request, the same middleware stack,
the client at 127.0.0.1), without a socket, a server task or a connection per request.
A test marked ``@pytest.mark.real_http`` gets the same :class:`Api` served by uvicorn on
loopback ports instead: for what only a real server shows (response streaming, the
bytes on the wire, a client that is a separate program).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from admin_api.app import create_app
from admin_api.metrics import create_metrics_app
from storage.core import Core

# Re-exported only for tests that still import them from here (use tests/admin_api/helpers).
from tests.admin_api.helpers import PASSWORD as PASSWORD
from tests.admin_api.helpers import ROLES, Api
from tests.bot.helpers import served

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


@pytest.fixture
async def api(core: Core, request: pytest.FixtureRequest) -> AsyncIterator[Api]:
    app = create_app(core)
    metrics_app = create_metrics_app(app.state.metrics)
    if request.node.get_closest_marker("real_http") is None:
        async with in_process(app) as http, in_process(metrics_app) as metrics_http:
            yield Api(core, app, IN_PROCESS_URL, http, metrics_http)
        return
    async with served(app) as (url, http), served(metrics_app) as (_, metrics_http):
        yield Api(core, app, url, http, metrics_http)


@pytest.fixture
async def staffed(api: Api) -> Api:
    """The API with one signed-in member of each role, named after the role."""
    for role in ROLES:
        await api.add_staff(role, role)
    return api
