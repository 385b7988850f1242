"""Building the Bot and the Dispatcher: storage, isolation, middlewares and routers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response
from aiogram.types import Update
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

from bot.fsm import (
    DatabaseStorage,
    PersonEventIsolation,
    PersonKeyBuilder,
    RedisStorage,
    UpdateStateMiddleware,
)
from bot.i18n import LocaleMiddleware, create_i18n
from bot.metrics import OutcomeMiddleware, UpdateMetricsMiddleware
from bot.middlewares import (
    CommitBeforeAnswer,
    FloodMiddleware,
    MemoryFloodGate,
    OutageCounter,
    RedisFloodGate,
    UpdateScopeMiddleware,
)
from bot.pacing import MemoryBuckets, Pacer, RedisBuckets
from bot.redelivery import Redelivery
from bot.requests import ResilientRequests
from handlers import build_router, gather
from storage.core import Core
from storage.counters import MemoryCounters, PersonCounters, RedisCounters
from storage.settings import Settings, SettingsError


class HolosDispatcher(Dispatcher):
    """aiogram's Dispatcher, counting the updates being handled, so a stop can wait for
    them (polling hands each to its own task; the webhook handles it in its request), and
    holding the answers gathered from typed bursts (handlers.gather).

    Its FSM middleware is bot.fsm.UpdateStateMiddleware, in the place of aiogram's own
    (right after the user context): the same lock and state read, with the redelivery
    check (``redelivery``) carried by the read."""

    def __init__(
        self,
        *,
        storage: BaseStorage,
        events_isolation: BaseEventIsolation,
        redelivery: Redelivery,
        gather_window: float = gather.WINDOW,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            storage=storage, events_isolation=events_isolation, disable_fsm=True, **kwargs
        )
        # aiogram keeps (and closes at shutdown) its own FSM middleware's storage and
        # lock; this one shares them.
        self.update.outer_middleware(UpdateStateMiddleware(storage, events_isolation, redelivery))
        self.redelivery = redelivery
        self.gatherer = gather.Gatherer(gather_window)
        self._updates = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def in_flight(self) -> int:
        """Updates being handled, and gathered answers not yet made: the bot is idle (for
        a stop, for a test waiting on it) only when both are none."""
        return self._updates + self.gatherer.pending

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        self._updates += 1
        self._idle.clear()
        gather.use(self.gatherer)
        try:
            return await super().feed_update(bot, update, **kwargs)
        finally:
            self._updates -= 1
            if not self._updates:
                self._idle.set()

    async def wait_idle(self) -> None:
        """Until no update is being handled and no gathered answer waits."""
        while self.in_flight:
            await self._idle.wait()
            await self.gatherer.wait_idle()


def run_filters_inline(router: Router) -> None:
    """Let aiogram check plain (non-async) filters in place instead of in a thread.

    aiogram runs every filter that is not a coroutine through ``asyncio.to_thread``: the
    ``State`` and ``F`` filters of each handler tried, ≈3.6 thread round trips per update
    in the bench (each a pool hand-off and a wake-up of the event loop), for checks
    that take microseconds and never block. Handlers themselves are left alone."""
    for each in router.chain_tail:
        for observer in each.observers.values():
            for handler in [observer._handler, *observer.handlers]:
                for check in handler.filters or ():
                    if not check.awaitable:
                        check.callback = _in_place(check.callback)
                        check.awaitable = True


def _in_place(check: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return run


def create_pacer(core: Core, redis: Redis | None = None) -> Pacer:
    buckets = RedisBuckets(redis) if redis is not None else MemoryBuckets()

    async def chat_key(chat_id: int | str) -> str:
        # A private chat's id is its person's: the same (cached) keys as their updates.
        return (await core.crypto.person_async(chat_id)).pace()

    return Pacer(buckets, chat_key)


class KeepResponseTypes(BaseRequestMiddleware):
    """aiogram reads every Bot API answer as pydantic's ``Response[T]``, and pydantic
    keeps such parameterised classes only weakly: once the garbage collector frees one,
    the next call builds it again (≈9 ms; py-spy found it in ≈3% of the bot's samples
    under load). One strong reference per result type makes it a cache hit."""

    def __init__(self) -> None:
        self.kept: dict[Any, type] = {}

    async def __call__(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: TelegramMethod[Any]
    ) -> Response[Any]:
        returning = method.__returning__
        if returning not in self.kept:
            self.kept[returning] = Response[returning]  # type: ignore[valid-type]  # a runtime type
        return await make_request(bot, method)


def create_bot(
    settings: Settings,
    *,
    token: str | None = None,
    api_url: str | None = None,
    requests: ResilientRequests | None = None,
) -> Bot:
    """The Bot, its every call going through ``requests`` (retries, pacing, no open
    transaction while Telegram is awaited; see bot.requests)."""
    secret = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not secret:
        raise ValueError("a bot token is needed to create the bot")
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url or settings.telegram_api_url))
    session.middleware(requests or ResilientRequests())
    session.middleware(KeepResponseTypes())
    return Bot(
        secret,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_flood_middleware(redis: Redis | None = None) -> FloodMiddleware:
    return FloodMiddleware(RedisFloodGate(redis) if redis is not None else MemoryFloodGate())


REDIS_REQUIRED = (
    "HOLOS_REDIS_URL is required with PostgreSQL: drafts and other per-person "
    "conversation state are kept in Redis, never in PostgreSQL"
)


class RedisRequired(BaseStorage):
    """No conversation storage: a PostgreSQL deployment without Redis. Such a runtime may
    deliver replies but never handles an update (BotRuntime refuses to start doing so)."""

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        raise SettingsError(REDIS_REQUIRED)

    async def get_state(self, key: StorageKey) -> str | None:
        raise SettingsError(REDIS_REQUIRED)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        raise SettingsError(REDIS_REQUIRED)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        raise SettingsError(REDIS_REQUIRED)

    async def close(self) -> None:
        return None


def require_conversation_storage(dp: Dispatcher) -> None:
    """Refuse to handle updates without a place for drafts (see create_dispatcher)."""
    if isinstance(dp.storage, RedisRequired):
        raise SettingsError(REDIS_REQUIRED)


def create_dispatcher(
    core: Core,
    *,
    redis: Redis | None = None,
    i18n: I18n | None = None,
    dedupe: bool = True,
    gather_window: float = gather.WINDOW,
) -> HolosDispatcher:
    """``dedupe``: skip updates whose effects are stored (off for the sandbox, whose
    emulator counts update ids from 1 again at every start).

    Per-person flow state (drafts, the kept language, quota and receipt-miss counts,
    flood and pacing state) never enters PostgreSQL: its dead row versions and its WAL
    would keep every step of every draft beyond what any vacuum controls (issue 18). So
    PostgreSQL needs Redis; SQLite keeps drafts in its own file (emptying its log as
    flows end) and the counters in this process's memory."""
    storage: BaseStorage
    isolation: BaseEventIsolation
    counters: PersonCounters
    if redis is None and core.database.dialect != "sqlite":
        # It may still deliver replies (`holos bot` in webhook mode); handling updates
        # is refused at start (BotRuntime).
        storage = RedisRequired()
        isolation = SimpleEventIsolation()
        counters = MemoryCounters(core.clock)
    elif redis is not None:
        # Several instances share the token: state, counters and per-chat locks live
        # in Redis, under per-person keys.
        storage = RedisStorage(core, redis)
        isolation = PersonEventIsolation(redis, PersonKeyBuilder(core))
        counters = RedisCounters(redis, core.clock)
    else:
        storage = DatabaseStorage(core)
        isolation = SimpleEventIsolation()
        counters = MemoryCounters(core.clock)
    # Updates of one chat are handled one at a time: a burst of photos cannot race
    # on the same draft.
    redelivery = Redelivery(core, enabled=dedupe)
    dp = HolosDispatcher(
        storage=storage,
        events_isolation=isolation,
        redelivery=redelivery,
        gather_window=gather_window,
    )
    # Counted outside the unit of work, so a failed commit counts as an error too.
    dp.update.outer_middleware(UpdateMetricsMiddleware())
    i18n = i18n or create_i18n(core.settings.default_language)
    dp["counters"] = counters
    dp.update.outer_middleware(UpdateScopeMiddleware(core, counters, redelivery, i18n=i18n))
    dp.errors.outer_middleware(OutageCounter())
    dp["i18n_instance"] = i18n
    LocaleMiddleware(i18n, core.settings.default_language).setup(dp)
    flood = create_flood_middleware(redis)
    dp["flood"] = flood.gate
    dp.message.outer_middleware(flood)
    dp.callback_query.outer_middleware(flood)
    # Every button press is answered after its handler has changed what the person
    # sees, so the spinner stops on the new screen (never before it).
    dp.callback_query.middleware(CallbackAnswerMiddleware())
    dp.callback_query.middleware(CommitBeforeAnswer())
    outcomes = OutcomeMiddleware(core.catalog)
    dp.message.middleware(outcomes)
    dp.callback_query.middleware(outcomes)
    dp.include_router(build_router())
    run_filters_inline(dp)
    return dp
