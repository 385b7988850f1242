"""The console over plain HTTP: httpx against the real app, one client (and so one cookie
jar) per "browser". For what a browser would only hide: status codes, cookies, redirects
and the steps of signing in, on SQLite and PostgreSQL alike. Pages themselves are looked
at in Chromium (the other tests of this package).

The app is reached in this process (tests/asgi.py: the same middleware stack, the client
at 127.0.0.1) unless a test asks for a real server on a loopback port (``real_http``)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import httpx

from admin_api.app import create_app
from admin_api.server import bind_socket, running_api
from storage.core import Core
from tests.asgi import IN_PROCESS_URL, in_process
from tgemu.tls import shared_tls

PASSWORD = "a-long-enough-password"  # what tests.storage.helpers.make_staff sets
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SECRET = re.compile(r'<code id="secret">([A-Z2-7 ]+)</code>')
_ALERT = re.compile(r'role="alert">(.*?)</p>', re.S)


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def secret_of(page: str) -> str:
    """The enrolment secret the page shows as text (grouped by four)."""
    found = _SECRET.search(page)
    assert found, "no enrolment secret on the page"
    return found.group(1).replace(" ", "")


def alert_of(page: str) -> str:
    found = _ALERT.search(page)
    return html.unescape(found.group(1)).strip() if found else ""


@dataclass
class Browser:
    """One person's browser: its own cookies, its own address (through the proxy)."""

    http: httpx.AsyncClient
    address: str | None = None
    last_page: str = ""

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept-Language": "en"}
        if self.address is not None:
            headers["X-Forwarded-For"] = self.address
        return {**headers, **(extra or {})}

    async def get(self, path: str, **extra: str) -> httpx.Response:
        response = await self.http.get(path, headers=self._headers(extra))
        if response.headers.get("content-type", "").startswith("text/html"):
            self.last_page = response.text
        return response

    async def post(self, path: str, data: dict[str, str], **extra: str) -> httpx.Response:
        response = await self.http.post(path, data=data, headers=self._headers(extra))
        if response.headers.get("content-type", "").startswith("text/html"):
            self.last_page = response.text
        return response

    async def password(self, username: str, password: str = PASSWORD) -> httpx.Response:
        """The sign-in form: fetched (for its CSRF token), filled in and sent."""
        form = await self.get("/console/sign-in")
        assert form.status_code == 200
        return await self.post(
            "/console/sign-in",
            {"username": username, "password": password, "csrf": csrf_of(form.text)},
        )

    async def step(self) -> httpx.Response:
        """The page after the password: the code, or enrolment."""
        return await self.get("/console/sign-in/next-step")

    async def code(self, code: str, *, csrf: str | None = None) -> httpx.Response:
        token = csrf if csrf is not None else csrf_of(self.last_page)
        return await self.post("/console/sign-in/next-step", {"code": code, "csrf": token})

    async def recovery_code(self, code: str) -> httpx.Response:
        return await self.post(
            "/console/sign-in/recover", {"recovery_code": code, "csrf": csrf_of(self.last_page)}
        )

    def session_cookie(self) -> str | None:
        return self.http.cookies.get("holos_console")


@dataclass
class ServedConsole:
    """The whole app (API and console) on a loopback port, and browsers for it."""

    core: Core
    base_url: str
    stack: AsyncExitStack
    new_client: Callable[[], httpx.AsyncClient]
    browsers: list[Browser] = field(default_factory=list)

    async def browser(self, address: str | None = None) -> Browser:
        http = await self.stack.enter_async_context(self.new_client())
        browser = Browser(http, address)
        self.browsers.append(browser)
        return browser

    def behind_proxy(self) -> None:
        """The test's own connections come from a trusted proxy from now on, so each
        browser's ``X-Forwarded-For`` is its address."""
        self.core.settings.trusted_proxies = ["127.0.0.1/32"]


@asynccontextmanager
async def serve_console(core: Core, *, real_http: bool = False) -> AsyncIterator[ServedConsole]:
    app = create_app(core)
    async with AsyncExitStack() as stack:
        if not real_http:
            yield ServedConsole(core, IN_PROCESS_URL, stack, lambda: in_process(app))
            return
        url = await stack.enter_async_context(running_api(app, bind_socket("127.0.0.1", 0)))

        def client() -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=url, timeout=30, trust_env=False, verify=shared_tls())

        yield ServedConsole(core, url, stack, client)
