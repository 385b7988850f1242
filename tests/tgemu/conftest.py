"""Shared fixtures: one emulator per session (in its own thread), a fresh bot token per test.

Helpers live in tests/tgemu/helpers.py (``eventually`` is re-exported here only for tests
that still import it from the conftest)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from tests.tgemu.helpers import SANDBOX_TOKEN, ApiCall, make_token
from tests.tgemu.helpers import eventually as eventually
from tgemu import BotHandle, Emulator, EmulatorClient, EmulatorThread
from tgemu.tls import shared_tls


@pytest.fixture(scope="session")
def emulator_thread() -> Iterator[EmulatorThread]:
    emulator = Emulator(
        sandbox_token=SANDBOX_TOKEN,
        webhook_retry_initial=0.02,
        webhook_retry_max=0.1,
        webhook_timeout=2.0,
    )
    thread = EmulatorThread(emulator=emulator).start()
    yield thread
    thread.stop()


@pytest.fixture
def base_url(emulator_thread: EmulatorThread) -> str:
    return emulator_thread.base_url


@pytest.fixture
def token() -> str:
    return make_token()


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(base_url) as emulator_client:
        yield emulator_client


@pytest.fixture
def bot_handle(client: EmulatorClient, token: str) -> BotHandle:
    return client.bot(token)


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=base_url, timeout=30, trust_env=False, verify=shared_tls()
    ) as session:
        yield session


@pytest.fixture
def api(http: httpx.AsyncClient, token: str) -> ApiCall:
    """Call a Bot API method of this test's bot with a raw JSON (or form) body."""

    async def call(method: str, body: Any = None, *, form: bool = False, **kwargs: Any) -> Any:
        url = f"/bot{token}/{method}"
        if form:
            return await http.post(url, data=body or {}, **kwargs)
        return await http.post(url, json=body if body is not None else {}, **kwargs)

    return call


@pytest.fixture
async def tg_bot(base_url: str, token: str) -> AsyncIterator[Bot]:
    """A real aiogram Bot talking HTTP to the emulator."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    bot = Bot(token, session=session)
    yield bot
    await bot.session.close()
