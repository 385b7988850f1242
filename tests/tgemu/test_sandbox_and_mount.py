"""The chat page, and the emulator mounted under a prefix inside another FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from fastapi import FastAPI

from tests.tgemu.helpers import SANDBOX_TOKEN, make_token
from tgemu import Emulator, EmulatorClient, create_app


async def test_sandbox_page_is_served_with_relative_urls(http: httpx.AsyncClient) -> None:
    response = await http.get("/sandbox/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert 'const API = "../_emulator/"' in page
    # Nothing absolute: no scheme-qualified or root-relative URLs, no external resources.
    assert not re.search(r"https?://", page)
    assert not re.search(r"""(src|href|action)\s*=\s*["']/""", page)
    assert not re.search(r"""fetch\(\s*["'`]/""", page)
    assert "<script src" not in page and "<link" not in page
    redirect = await http.get("/sandbox", follow_redirects=False)
    assert redirect.status_code == 307 and redirect.headers["location"] == "sandbox/"


async def test_sandbox_config(client: EmulatorClient) -> None:
    config = await client.sandbox_config()
    assert config["token"] == SANDBOX_TOKEN
    assert config["bot"]["id"] == int(SANDBOX_TOKEN.split(":")[0])


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no start-up event
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def test_mounted_under_a_prefix() -> None:
    token = make_token()
    emulator = Emulator(sandbox_token=token)
    parent = FastAPI()

    @parent.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    parent.mount("/tg", create_app(emulator))
    async with serve(parent) as url:
        base = f"{url}/tg"
        bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
        try:
            async with EmulatorClient(base) as client, httpx.AsyncClient() as http:
                assert (await client.sandbox_config())["token"] == token
                page = await http.get(f"{base}/sandbox/")
                assert page.status_code == 200 and "Holos sandbox chat" in page.text
                user = await client.bot(token).create_user(id=77, first_name="Iryna")
                await user.send_text("hello", wait=False)
                assert (await bot.get_updates())[0].message.text == "hello"
                await bot.send_message(77, "hi Iryna")
                assert (await user.chat())[-1].text == "hi Iryna"
                # A dropped connection still works through the parent app's middleware.
                await client.bot(token).inject_drop("getMe")
                with pytest.raises(TelegramNetworkError):
                    await bot.get_me()
                assert (await bot.get_me()).id == int(token.split(":")[0])
        finally:
            await bot.session.close()
            await emulator.aclose()
