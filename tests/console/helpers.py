"""The console in a real browser: the pieces tests use (a loop thread that hosts the
browser, the running console, viewports, sign-in, axe-core). The fixtures that build them
are in tests/console/conftest.py; this plain module is what tests import.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvloop
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from admin_api.console.web import COOKIE
from storage.clock import FrozenClock
from storage.core import Core
from tests.console.http_client import Browser as HttpBrowser
from tests.console.http_client import alert_of
from tests.storage.helpers import make_staff, otp
from tgemu.tls import shared_tls

CHROMIUM = Path(os.environ.get("HOLOS_TEST_CHROMIUM", "/usr/bin/chromium"))
PASSWORD = "a-long-enough-password"  # what tests.storage.helpers.make_staff sets
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
AXE = Path(__file__).with_name("axe-4.14.1.min.js")
T = TypeVar("T")


class LoopThread:
    """An event loop in a daemon thread, and a way to run coroutines on it."""

    def __init__(self) -> None:
        self.loop = uvloop.new_event_loop()  # the console's own loop in production
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class BrowserHost:
    loop: LoopThread
    browser: Browser
    stop_playwright: Any


@dataclass
class Console:
    """A running console (fresh database, own port) and a browser context for it."""

    host: BrowserHost
    core: Core
    clock: FrozenClock
    base_url: str = ""
    contexts: list[BrowserContext] = field(default_factory=list)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return self.host.loop.run(coro, timeout)

    def url(self, path: str) -> str:
        return self.base_url + path

    async def page(self, viewport: ViewportSize | None = None, *, axe: bool = False) -> Page:
        """A page in a new browser context. ``axe``: the context lets the test inject
        axe-core, which the console's CSP (rightly) refuses as an inline script."""
        context = await self.host.browser.new_context(
            viewport=viewport or DESKTOP,
            locale="uk-UA",
            timezone_id="Europe/Kyiv",
            bypass_csp=axe,
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        return await context.new_page()

    async def staff(self, username: str, role: str) -> None:
        await make_staff(self.core, username, role)

    async def sign_in(self, page: Page, username: str, password: str = PASSWORD) -> None:
        """Signed in as the sign-in form signs in (the same requests to the same server,
        sent from this process, with the code an authenticator app would show), the
        session's cookie handed to the page's browser, and the page where the form lands:
        one page load where the form takes three. The form itself is driven in the browser
        by :meth:`sign_in_by_form` (tests/console/test_sign_in.py, test_two_factor.py)."""
        client = httpx.AsyncClient(
            base_url=self.base_url, timeout=30, trust_env=False, verify=shared_tls()
        )
        async with client as http:
            person = HttpBrowser(http)
            response = await person.password(username, password)
            assert response.status_code == 303, alert_of(response.text)
            if "/sign-in/next-step" in response.headers["location"]:
                await person.step()
                code = await otp(self.core, username)
                assert code is not None, f"{username} has to enrol first: sign_in_by_form"
                response = await person.code(code)
                assert response.status_code == 303, alert_of(response.text)
            token = person.session_cookie()
        assert token is not None
        await page.context.add_cookies(
            [
                {
                    "name": COOKIE,
                    "value": token,
                    "domain": "127.0.0.1",
                    "path": "/console",
                    "httpOnly": True,
                    "sameSite": "Strict",
                }
            ]
        )
        await page.goto(self.url(response.headers["location"]))

    async def sign_in_by_form(
        self, page: Page, username: str, password: str = PASSWORD, *, second_factor: bool = True
    ) -> None:
        """The sign-in form in the browser: the password, then (for accounts with
        two-factor sign-in, unless told not to) the code an authenticator app would show,
        computed from the account's secret."""
        await page.goto(self.url("/console/sign-in"))
        await page.fill("#username", username)
        await page.fill("#password", password)
        async with page.expect_navigation():
            await page.click("form.stack button[type=submit]")
        if second_factor and "/sign-in/next-step" in page.url:
            code = await otp(self.core, username)
            assert code is not None, f"{username} has no two-factor secret"
            await page.fill("#code", code)
            async with page.expect_navigation():
                await page.click("#code-form button[type=submit]")

    async def axe(self, page: Page) -> list[dict[str, Any]]:
        """Serious and critical accessibility violations on the page, by axe-core."""
        await page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        result = await page.evaluate("() => axe.run(document)")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]


def texts_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def settle(awaitable: Awaitable[T]) -> T:
    return await awaitable
