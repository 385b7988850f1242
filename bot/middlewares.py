"""Cross-cutting work around every update: the person's keys, the unit of work, flood
control.

Handlers never need the raw Telegram user id: they get the person's keys (``person``,
storage.crypto.PersonKeys) with the quota and receipt-miss counters bound to them, and
for the one case where a chat must be kept (replies in this chat), an opaque
``ReporterChat`` that storage encrypts at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import CallbackQuery, ErrorEvent, Message, TelegramObject, Update, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from redis.asyncio import Redis
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot import metrics
from bot.fsm import FirstRead
from bot.i18n import guess_language
from bot.redelivery import Redelivery
from handlers import texts
from handlers.context import ReporterChat
from storage.core import Core
from storage.counters import PersonCounters
from storage.crypto import PersonKeys
from storage.services.throttle import ReceiptMisses, ReporterQuota
from storage.uow import UnitOfWork

log = logging.getLogger("holos.bot")

# A burst of 25 events (an album, quick taps through a report) passes, then about one
# a second; past that, one notice and ten seconds of silence.
FLOOD_CAPACITY = 25
FLOOD_REFILL = 1.0
FLOOD_WINDOW = 10.0
# Typed messages have no tighter bucket of their own: a burst of them is added to the
# draft and answered once (handlers.gather), so it costs a reply or two, not one each.

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateScopeMiddleware(BaseMiddleware):
    """One unit of work per update, plus the core and the person's keys for handlers.

    An update whose effects are already stored (Telegram redelivered it) is not handled
    again: ``redelivery`` (bot.redelivery) answers, inside the chat's isolation lock,
    with the state's first read when it carried the check; the id is recorded with the
    update's first commit.
    """

    def __init__(
        self,
        core: Core,
        counters: PersonCounters,
        redelivery: Redelivery,
        *,
        i18n: I18n | None = None,
    ) -> None:
        self.core = core
        self.counters = counters
        self.redelivery = redelivery
        self.i18n = i18n

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await self._handle(handler, event, data)
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            # Nothing was written (the unit of work rolled back or never began): the
            # person is asked to send it again in a minute, and their draft is as it was.
            metrics.DATABASE_UNAVAILABLE.inc()
            log.warning("database_unavailable error=%s", type(exc).__name__)
            await self._tell_database_unavailable(event, data)
            return None

    async def _handle(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat = data.get("event_chat")
        data["core"] = self.core
        if user is not None:
            person = await self.core.crypto.person_async(user.id)
            data["person"] = person
            data["quota"] = ReporterQuota.of(self.counters, self.core, person)
            data["receipt_misses"] = ReceiptMisses(self.counters, self.core.clock, person)
        if chat is not None:
            data["reporter_chat"] = ReporterChat(chat.id)
        first: FirstRead | None = data.get("first_read")
        update_id = self.redelivery.update_id(event)
        if update_id is not None and await self.redelivery.seen(
            update_id, answered=first.seen if first is not None else None
        ):
            metrics.REPEATED_UPDATES.inc()
            log.info("update_repeated")
            return UNHANDLED
        uow = UnitOfWork(
            self.core.database,
            on_first_commit=self.redelivery.recorder(update_id) if update_id is not None else None,
        )
        if first is not None:
            first.prime(uow)  # the state read under the lock is not read again
        data["uow"] = uow
        token = uow.activate()
        ok = False
        try:
            result = await handler(event, data)
            ok = True
            return result
        finally:
            UnitOfWork.deactivate(token)
            await uow.finish(ok=ok)

    async def _tell_database_unavailable(self, event: TelegramObject, data: dict[str, Any]) -> None:
        """In the person's Telegram language: their chosen one lives in the database."""
        chat = data.get("event_chat")
        bot: Bot | None = data.get("bot")
        if chat is None or bot is None or self.i18n is None:
            return
        user: User | None = data.get("event_from_user")
        language = guess_language(
            user.language_code if user else None, self.core.settings.default_language
        )
        with self.i18n.context(), self.i18n.use_locale(language.value):
            text = texts.something_went_wrong()
        try:
            if isinstance(event, Update) and event.callback_query is not None:
                await bot.answer_callback_query(event.callback_query.id)
            await bot.send_message(chat.id, text)
        except Exception as exc:
            log.warning("database_unavailable_notice_failed error=%s", type(exc).__name__)


class CommitBeforeAnswer(BaseMiddleware):
    """A pressed button is answered once its handler is done (aiogram's
    CallbackAnswerMiddleware, just outside this one): that answer is a call to Telegram
    too, so the handler's writes are committed first, by the named step
    (storage.uow.UnitOfWork.commit_before_reply), once here for every button. A handler
    that failed has its writes dropped instead, before the spinner is stopped."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        uow: UnitOfWork | None = data.get("uow")
        try:
            result = await handler(event, data)
        except BaseException:
            if uow is not None:
                await uow.abandon()
            raise
        if uow is not None:
            await uow.commit_before_reply()
        return result


def is_database_outage(exc: BaseException) -> bool:
    """The database cannot be reached (refused, dropped, timed out), as opposed to a
    statement it refused: only the first is worth "try again in a minute"."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, OSError)  # refused or reset connections, timeouts


class OutageCounter(BaseMiddleware):
    """On the dispatcher's errors: counts the failures that were the database away.

    Reading the conversation state, before any handler or unit of work, is where an
    outage usually shows; aiogram sends that failure straight to the error handler,
    which tells the person their draft is safe and to try again in a minute. Failures
    later on are caught (and told) by :class:`UpdateScopeMiddleware`."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, ErrorEvent) and is_database_outage(event.exception):
            metrics.DATABASE_UNAVAILABLE.inc()
            log.warning("database_unavailable error=%s", type(event.exception).__name__)
        return await handler(event, data)


class FloodGate(Protocol):
    async def check(self, key: str) -> tuple[bool, bool]:
        """(handle this event?, if not: send the one notice of this flood?)"""


class MemoryFloodGate:
    """A token bucket per person (their flood key). When it runs dry: one notice, then everything is
    dropped until ``window`` has passed (no gaps: nothing slips in between drops)."""

    def __init__(
        self,
        capacity: int = FLOOD_CAPACITY,
        refill_per_second: float = FLOOD_REFILL,
        window: float = FLOOD_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.refill = refill_per_second
        self.window = window
        self.clock = clock
        # flood key -> (tokens, last refill, blocked until)
        self._buckets: dict[str, tuple[float, float, float]] = {}

    async def check(self, key: str) -> tuple[bool, bool]:
        now = self.clock()
        tokens, last, blocked_until = self._buckets.get(key, (float(self.capacity), now, 0.0))
        if now < blocked_until:
            return False, False
        tokens = min(float(self.capacity), tokens + (now - last) * self.refill)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now, 0.0)
            return True, False
        self._buckets[key] = (tokens, now, now + self.window)
        if len(self._buckets) > 10_000:
            self._forget_idle(now)
        return False, True

    def _forget_idle(self, now: float) -> None:
        horizon = self.capacity / self.refill + self.window
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < horizon}


# The same rule in Redis, on a clock of ten-second ticks (FLOOD_TICK) instead of the
# exact time: the hash keeps the tokens, the tick of the last refill and the tick the
# block ends, and the key expires on a tick boundary, so a dump of Redis does not tell
# when a person's last message came (issue 18, "timing trail"). Tokens come back a tick's
# worth at a time; a block lasts from one window to one window and a tick.
_FLOOD_SCRIPT = """
local tick_s = tonumber(ARGV[4])
local now = math.floor(tonumber(redis.call('TIME')[1]) / tick_s)
local capacity = tonumber(ARGV[1])
local per_tick = tonumber(ARGV[2]) * tick_s
local window = math.ceil(tonumber(ARGV[3]) / tick_s)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'tick', 'blocked')
local tokens = tonumber(state[1] or capacity)
local last = tonumber(state[2] or now)
local blocked = tonumber(state[3] or 0)
if now < blocked then return {0, 0} end
tokens = math.min(capacity, tokens + (now - last) * per_tick)
local result = {1, 0}
if tokens >= 1 then
  tokens = tokens - 1
  blocked = 0
else
  blocked = now + window + 1
  result = {0, 1}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'tick', tostring(now),
  'blocked', tostring(blocked))
local full = now + math.ceil((capacity - tokens) / per_tick)
redis.call('EXPIREAT', KEYS[1], (math.max(full, blocked) + 1) * tick_s)
return result
"""
FLOOD_TICK = 10


class RedisFloodGate:
    """The same rule, with its state in Redis: it holds across instances."""

    def __init__(
        self,
        redis: Redis,
        capacity: int = FLOOD_CAPACITY,
        refill_per_second: float = FLOOD_REFILL,
        window: float = FLOOD_WINDOW,
        prefix: str = "holos:flood:",
        tick: int = FLOOD_TICK,
    ) -> None:
        self.args = [capacity, refill_per_second, window, tick]
        self.prefix = prefix
        self._script: Any = redis.register_script(_FLOOD_SCRIPT)

    async def check(self, key: str) -> tuple[bool, bool]:
        allowed, notify = await self._script(keys=[self.prefix + key], args=self.args)
        return bool(allowed), bool(notify)


class FloodMiddleware(BaseMiddleware):
    """Bursts are fine (an album of photos), floods are not.

    Over the limit, one short notice; everything else is dropped quietly until the flood
    window has passed. Nothing already in the draft is touched.
    """

    def __init__(self, gate: FloodGate | None = None) -> None:
        self.gate = gate or MemoryFloodGate()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        person: PersonKeys | None = data.get("person")
        if person is None:
            return await handler(event, data)
        allowed, notify = await self.gate.check(person.flood("any"))
        if allowed:
            return await handler(event, data)
        log.info("flood_dropped")
        metrics.FLOOD_DROPPED.inc()
        if notify:
            metrics.FLOOD_NOTICES.inc()
            log.info("flood_notice")
        text = _(
            "You are sending messages very fast. Please wait a few seconds and send "
            "the last ones again: everything before them is saved."
        )
        if isinstance(event, CallbackQuery):
            await event.answer(text if notify else None)
        elif isinstance(event, Message) and notify:
            await event.answer(text)
        return None
