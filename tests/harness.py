"""The conversation harness: the Bot API emulator, the real bot on it, simulated users.

Loaded by tests/conftest.py as a pytest plugin, so its fixtures reach every suite.
A test reads like a conversation: the user taps, the test asserts what the bot shows.
One emulator serves the whole session (in its own thread); each test gets its own
bot token, which is its own isolated world there, and its own database.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.client.session.aiohttp import AiohttpSession

from bot.requests import ResilientRequests
from bot.runtime import BotRuntime
from storage.clock import FrozenClock
from storage.core import Core, build_core
from storage.settings import Settings
from tests.config import make_settings
from tgemu import BotHandle, EmulatorClient, EmulatorThread, SimulatedUser
from tgemu.state import Emulator

BotFactory = Callable[..., Awaitable[BotRuntime]]

# The first wait before a failed Bot API call is tried again, doubling each time. The
# product's 0.5 s is for Telegram; against the emulator on loopback, a test that makes a
# call fail all its tries (8) waited 6.4 s at 0.05 s and waits 0.25 s at this.
QUICK_BACKOFF = 0.002


def quick_requests() -> ResilientRequests:
    """How the tests' bots call the Bot API: unpaced (simulated people type far faster than
    people do; pacing has its own tests, tests/bot/test_pacing.py), retried quickly."""
    return ResilientRequests(pacer=None, backoff=QUICK_BACKOFF)


@pytest.fixture(scope="session", autouse=True)
def no_tls_grace_on_plain_http() -> Iterator[None]:
    """aiogram's session sleeps 250 ms after closing, so that TLS connections can wind down
    (aiohttp's advice for a graceful shutdown). Every bot in the tests talks plain HTTP to
    the emulator on loopback, where there is no TLS to wait for; the sleep only added a
    quarter of a second to each of the few hundred bot stops of a run. HTTPS keeps it.

    This replaces aiogram's ``close``: if aiogram's changes, this fails loudly instead of
    silently dropping whatever the new one does."""
    original = AiohttpSession.close
    source = inspect.getsource(original)
    assert "self._session.close()" in source and "asyncio.sleep(0.25)" in source, (
        "aiogram's AiohttpSession.close changed: check what tests/harness.py replaces"
    )

    async def close(self: AiohttpSession) -> None:
        if not self.api.base.startswith("http://"):
            await original(self)
        elif self._session is not None and not self._session.closed:
            await self._session.close()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AiohttpSession, "close", close)
        yield


def new_token() -> str:
    return f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(30)}"


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorThread]:
    thread = EmulatorThread(emulator=Emulator(webhook_retry_initial=0.05, webhook_retry_max=0.2))
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture
async def tg(emulator: EmulatorThread) -> AsyncIterator[BotHandle]:
    # An answer is complete when the bot is idle (``start_bot`` sets ``settle``); the short
    # quiet window only covers what no handler counts, such as a delivery worker's sends.
    client = EmulatorClient(emulator.base_url, quiet=0.03)
    handle = client.bot(new_token())
    yield handle
    await client.aclose()


def bot_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    """The settings the conversation tests run the bot with (cheap hashing included)."""
    return make_settings(tmp_path, database_url, **overrides)


@pytest.fixture
async def bot_core(
    tmp_path: Path, sqlite_template: Path, clock: FrozenClock
) -> AsyncIterator[Core]:
    """Conversation tests run on SQLite (the storage and API suites cover both engines)."""
    shutil.copyfile(sqlite_template, tmp_path / "holos.db")
    core = build_core(
        bot_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'holos.db'}"), clock=clock
    )
    yield core
    await core.close()


@pytest.fixture
async def start_bot(
    bot_core: Core, tg: BotHandle, emulator: EmulatorThread
) -> AsyncIterator[BotFactory]:
    """Start (and restart) the real bot on the emulator; all are stopped at the end."""
    started: list[BotRuntime] = []

    async def settle() -> None:
        await bot_idle(started, tg)

    tg.settle = settle

    async def start(core: Core | None = None, **kwargs: Any) -> BotRuntime:
        kwargs.setdefault("requests", quick_requests())
        # Answers to typed bursts are gathered only where a test asks for it
        # (tests/handlers/test_one_message_per_step.py): elsewhere each message a test
        # sends is answered at once, as a person's messages seconds apart are.
        kwargs.setdefault("gather_window", 0.0)
        runtime = BotRuntime.create(
            core or bot_core,
            token=tg.token,
            api_url=emulator.base_url,
            # Tests that expect a delivery wake the worker; a slow poll keeps it from
            # contending with the conversation for SQLite's write lock.
            delivery_interval=0.5,
            delivery_backoff=0.05,
            **kwargs,
        )
        await runtime.start_polling()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        await runtime.stop()


async def bot_idle(runtimes: list[BotRuntime], tg: BotHandle) -> None:
    """Until the emulator holds no unfetched update and no runtime is handling one.

    A user's action is answered when its handler has finished, not after a spell of silence,
    which a loaded machine can stretch past any fixed window.
    """
    async with asyncio.timeout(15):
        while True:
            # The emulator is asked only once the bot is idle (woken the moment it is, not
            # on a timer): each question is an HTTP round trip.
            for runtime in runtimes:
                await runtime.dp.wait_idle()
            pending = (await tg.state())["pending_updates"]
            if not pending and all(runtime.dp.in_flight == 0 for runtime in runtimes):
                return
            await asyncio.sleep(0.005)  # an update the bot has yet to fetch


@pytest.fixture
async def running_bot(start_bot: BotFactory) -> BotRuntime:
    return await start_bot()


# Every simulated person of a test session is someone new, and so is every session's:
# state kept in the shared Redis (flood buckets, keyed by pseudonym) outlives a test by
# up to a minute, and a person reused by the next test would inherit it.
_USER_NUMBERS = itertools.count(secrets.randbelow(1_000_000_000) + 1)


@pytest.fixture
def make_user(tg: BotHandle) -> Callable[..., Awaitable[SimulatedUser]]:
    async def make(language_code: str | None = "uk", **kwargs: Any) -> SimulatedUser:
        n = next(_USER_NUMBERS)
        values: dict[str, Any] = {
            "id": 700_000_000 + n * 7919,
            "first_name": f"Тест{n}",
            "username": f"tester_{n}_{secrets.token_hex(2)}",
            "language_code": language_code,
        }
        values.update(kwargs)
        return await tg.create_user(**values)

    return make
