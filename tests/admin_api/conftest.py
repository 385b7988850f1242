"""The API over real HTTP: uvicorn on a loopback socket in the test's event loop, httpx
as the client, real bearer tokens from ``/auth/token``, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from admin_api.app import create_app
from admin_api.metrics import create_metrics_app
from admin_api.server import bind_socket, running_api
from storage.access import Actor
from storage.core import Core
from tests.storage.helpers import make_staff, otp

PASSWORD = "a-long-enough-password"  # what tests.storage.helpers.make_staff sets
ROLES = ("operator", "focal_point", "analyst", "admin")


@dataclass
class Api:
    """A running app and a client. ``tokens`` maps a name (a role) to a bearer token."""

    core: Core
    app: FastAPI
    base_url: str
    http: httpx.AsyncClient
    metrics_http: httpx.AsyncClient  # the metrics listener, as the CLI serves it
    tokens: dict[str, str] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def headers(self, who: str | None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return headers

    async def call(
        self, method: str, path: str, who: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def scrape(self) -> str:
        response = await self.metrics_http.get("/metrics")
        assert response.status_code == 200
        return response.text

    async def login(
        self, username: str, password: str = PASSWORD, code: str | None = None
    ) -> httpx.Response:
        data = {"username": username, "password": password}
        if code is not None:
            data["otp"] = code
        return await self.http.post("/api/v1/auth/token", data=data)

    async def sign_in(self, name: str, username: str, password: str = PASSWORD) -> str:
        """Signs in with both factors: the code comes from the account's own secret."""
        response = await self.login(username, password, await otp(self.core, username))
        assert response.status_code == 200, response.text
        self.tokens[name] = response.json()["access_token"]
        return self.tokens[name]

    async def add_staff(self, name: str, role: str, *, sign_in: bool = True) -> Actor:
        actor = await make_staff(self.core, name, role)
        self.actors[name] = actor
        if sign_in:
            await self.sign_in(name, name)
        return actor


@pytest.fixture
async def api(core: Core) -> AsyncIterator[Api]:
    app = create_app(core)
    sock = bind_socket("127.0.0.1", 0)
    metrics_sock = bind_socket("127.0.0.1", 0)
    async with (
        running_api(app, sock) as url,
        running_api(create_metrics_app(app.state.metrics), metrics_sock) as metrics_url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
        httpx.AsyncClient(base_url=metrics_url, timeout=30) as metrics_http,
    ):
        yield Api(core=core, app=app, base_url=url, http=http, metrics_http=metrics_http)


@pytest.fixture
async def staffed(api: Api) -> Api:
    """The API with one signed-in member of each role, named after the role."""
    for role in ROLES:
        await api.add_staff(role, role)
    return api
