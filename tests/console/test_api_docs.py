"""The API's interactive docs in a real browser (Debian's Chromium): with
HOLOS_API_DOCS=true, Swagger UI renders from packaged files under its strict policy, and
nothing is refused or fetched from elsewhere."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.async_api import Request

from admin_api.app import create_app
from admin_api.server import bind_socket, running_api
from storage.core import build_core
from tests.console.helpers import BrowserHost
from tests.harness import bot_settings


def test_the_docs_render_under_their_policy(
    browser_host: BrowserHost, tmp_path: Path, sqlite_template: Path
) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "holos.db")
    settings = bot_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'holos.db'}")
    core = build_core(settings.model_copy(update={"api_docs": True}))

    async def scenario() -> None:
        try:
            async with running_api(create_app(core), bind_socket("127.0.0.1", 0)) as url:
                context = await browser_host.browser.new_context()
                page = await context.new_page()
                refused: list[str] = []
                elsewhere: list[str] = []
                page.on(
                    "console",
                    lambda m: refused.append(m.text) if "Content Security" in m.text else None,
                )

                def record(request: Request) -> None:
                    if not request.url.startswith(url) and not request.url.startswith("data:"):
                        elsewhere.append(request.url)

                page.on("request", record)
                response = await page.goto(url + "/docs")
                assert response is not None and response.status == 200
                await page.wait_for_selector(".opblock", timeout=20_000)
                assert await page.locator(".opblock").count() >= 20
                assert "Holos triage API" in await page.inner_text(".info .title")
                assert refused == [] and elsewhere == []
                await context.close()
        finally:
            await core.close()

    browser_host.loop.run(scenario(), 60)
