"""Every Bot API call, whoever makes it (conversation, delivery worker, webhook set-up).

One aiogram request middleware on the bot's session does, in this order:

1. checks that the update's writes were committed before the call: the handler takes
   that as a named step (storage.uow.UnitOfWork.commit_before_reply), so no database
   lock is held while Telegram is awaited, and before a call that shows the person
   something the draft is durable too. Nothing commits here: a call with writes pending
   raises storage.uow.CommitStepMissing (a programming error, which the end-to-end
   tests find);
2. paces messages to a chat and overall (:mod:`bot.pacing`), before sending;
3. survives Telegram's limits: on 429 waits ``retry_after`` and tries again; on 5xx and
   network errors backs off and tries again; bounded in attempts and in total waiting,
   after which the error goes to the caller (the delivery worker then reschedules);
4. counts each attempt by method and result in ``holos_bot_api_calls_total``.

A retried ``sendMessage`` whose first attempt reached Telegram but whose answer was lost
can arrive twice: a duplicate message is better than a lost answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot import metrics
from bot.pacing import Pacer
from storage.uow import UnitOfWork

log = logging.getLogger("holos.bot.requests")

# Tries of one call. A 429 storm can refuse several in a row: the time bound (below)
# is what really limits a call.
ATTEMPTS = 8
# The longest single wait after a 5xx or network error.
MAX_BACKOFF = 5.0
# How long, in all, a call may wait for Telegram before its error goes to the caller.
# The delivery worker sets 0 for its calls: it has its own durable schedule, and waiting
# in place would hold up every other message in its queue.
_patience: ContextVar[float | None] = ContextVar("holos_request_patience", default=None)


@contextmanager
def patience(seconds: float) -> Iterator[None]:
    token = _patience.set(seconds)
    try:
        yield
    finally:
        _patience.reset(token)


# Calls that tell the person nothing about their data: no need to make it durable first
# (only the lock must be free).
_SAYS_NOTHING = frozenset({"getUpdates", "sendChatAction", "answerCallbackQuery", "getFile"})


class ResilientRequests(BaseRequestMiddleware):
    def __init__(
        self,
        pacer: Pacer | None = None,
        *,
        attempts: int = ATTEMPTS,
        max_wait: float = 30.0,
        backoff: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.pacer = pacer
        self.attempts = attempts
        self.max_wait = max_wait
        self.backoff = backoff
        self.clock = clock
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        uow = UnitOfWork.current()
        if uow is not None:
            uow.check_before_telegram(name, says_something=name not in _SAYS_NOTHING)
        if isinstance(method, GetUpdates):
            # The polling loop has its own backoff, and a long poll is not paced.
            return await self._attempt(make_request, bot, method, name)
        if self.pacer is not None:
            await self.pacer.wait(name, getattr(method, "chat_id", None))
        limit = _patience.get()
        deadline = self.clock() + (self.max_wait if limit is None else limit)
        for attempt in range(1, self.attempts + 1):
            try:
                return await self._attempt(make_request, bot, method, name)
            except TelegramRetryAfter as exc:
                delay, reason = float(exc.retry_after), "retry_after"
                if not self._may_retry(attempt, deadline, delay):
                    raise
            except (TelegramServerError, TelegramNetworkError) as exc:
                delay = min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF)
                reason = "server_error" if isinstance(exc, TelegramServerError) else "network"
                if not self._may_retry(attempt, deadline, delay):
                    raise
            metrics.API_RETRIES.labels(method=name, reason=reason).inc()
            log.info("bot_api_retry method=%s reason=%s delay=%.1fs", name, reason, delay)
            await self.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _may_retry(self, attempt: int, deadline: float, delay: float) -> bool:
        return attempt < self.attempts and self.clock() + delay <= deadline and delay >= 0

    async def _attempt(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
        name: str,
    ) -> Response[TelegramType]:
        result = "error"
        try:
            response = await make_request(bot, method)
            result = "ok"
            return response
        except TelegramRetryAfter:
            result = "retry_after"
            raise
        except TelegramServerError:
            result = "server_error"
            raise
        except TelegramNetworkError:
            result = "network_error"
            raise
        finally:
            metrics.API_CALLS.labels(method=name, result=result).inc()
