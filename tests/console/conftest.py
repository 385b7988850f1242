"""The console in a real browser: Debian's Chromium driven by Playwright.

One browser for the whole session. Playwright's async API, the console's server and
(where a test needs it) the bot all run on one event loop in a background thread; a test
is a plain function that hands its scenario to that loop (``console.run(...)``), so the
browser never meets pytest's own per-test loops. Each test gets a fresh SQLite database
and its own server on a free loopback port. What tests import is in tests/console/helpers.py.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from admin_api.app import create_app
from admin_api.server import bind_socket, running_api
from storage.clock import FrozenClock
from storage.core import Core, build_core
from tests.console.helpers import CHROMIUM, BrowserHost, Console, LoopThread

# Re-exported only for tests that still import them from here (use tests/console/helpers).
from tests.console.helpers import DESKTOP as DESKTOP
from tests.console.helpers import PASSWORD as PASSWORD
from tests.console.helpers import PHONE as PHONE
from tests.console.http_client import ServedConsole, serve_console
from tests.harness import bot_settings
from tests.services import unavailable


@pytest.fixture(scope="session")
def browser_host() -> Iterator[BrowserHost]:
    if not CHROMIUM.exists():
        unavailable("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    loop = LoopThread()

    async def start() -> tuple[Browser, Any]:
        playwright = await async_playwright().start()
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        return browser, playwright.stop

    browser, stop = loop.run(start())
    yield BrowserHost(loop, browser, stop)

    async def finish() -> None:
        await browser.close()
        await stop()

    loop.run(finish())
    loop.stop()


@pytest.fixture
def console_settings() -> dict[str, Any]:
    """Settings the console runs with beyond the tests' own: a module overrides this
    fixture (a mail server, escalation addresses) to run its console with them."""
    return {}


@pytest.fixture
def console(
    browser_host: BrowserHost,
    tmp_path: Path,
    sqlite_template: Path,
    console_settings: dict[str, Any],
) -> Iterator[Console]:
    shutil.copyfile(sqlite_template, tmp_path / "holos.db")
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    core = build_core(
        bot_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'holos.db'}", **console_settings),
        clock=clock,
    )
    console = Console(browser_host, core, clock)
    stop = asyncio.Event()
    started: asyncio.Future[str] | None = None

    async def serve() -> None:
        async with running_api(create_app(core), bind_socket("127.0.0.1", 0)) as url:
            assert started is not None
            started.set_result(url)
            await stop.wait()

    async def begin() -> asyncio.Task[None]:
        nonlocal started
        started = asyncio.get_running_loop().create_future()
        task = asyncio.get_running_loop().create_task(serve())
        console.base_url = await started
        return task

    task = console.run(begin())
    yield console

    async def end() -> None:
        for context in console.contexts:
            await context.close()
        stop.set()
        await task
        await core.close()

    console.run(end())


@pytest.fixture
async def served(core: Core, request: pytest.FixtureRequest) -> AsyncIterator[ServedConsole]:
    """The console over plain HTTP (tests.console.http_client), on both engines: in this
    process, or from uvicorn on a loopback port for a test marked ``real_http``."""
    real_http = request.node.get_closest_marker("real_http") is not None
    async with serve_console(core, real_http=real_http) as console:
        yield console
