"""The API with real bearer tokens from ``/auth/token``, on SQLite and PostgreSQL.

By default a test reaches the app in this process: httpx's ASGI transport hands each
request to the app as uvicorn would (one task per request, the same middleware stack,
the client at 127.0.0.1), without a socket, a server task or a connection per request.
A test marked ``@pytest.mark.real_http`` gets the same :class:`Api` served by uvicorn on
loopback ports instead: for what only a real server shows (response streaming, the
bytes on the wire, a client that is a separate program).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from admin_api.app import create_app
from admin_api.metrics import create_metrics_app
from storage.core import Core

# Re-exported only for tests that still import them from here (use tests/admin_api/helpers).
from tests.admin_api.helpers import PASSWORD as PASSWORD
from tests.admin_api.helpers import ROLES, Api
from tests.asgi import IN_PROCESS_URL, in_process
from tests.bot.helpers import served


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
