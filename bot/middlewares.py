"""Cross-cutting work around every update: the pseudonym, the unit of work, flood control.

Handlers never need the raw Telegram user id: they get a ``pseudonym``, and for the
one case where a chat must be kept (replies in this chat), an opaque
``ReporterChat`` that storage encrypts at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from aiogram.utils.i18n import gettext as _

from handlers.context import ReporterChat
from storage.core import Core
from storage.uow import UnitOfWork

log = logging.getLogger("holos.bot")

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateScopeMiddleware(BaseMiddleware):
    """One unit of work per update, plus the core and the pseudonym for handlers."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat = data.get("event_chat")
        data["core"] = self.core
        if user is not None:
            data["pseudonym"] = self.core.crypto.pseudonym(user.id)
            data["log_tag"] = self.core.crypto.log_tag(data["pseudonym"])
        if chat is not None:
            data["reporter_chat"] = ReporterChat(chat.id)
        uow = UnitOfWork(self.core.database)
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


class FloodMiddleware(BaseMiddleware):
    """A token bucket per pseudonym: bursts are fine (an album of photos), floods are not.

    Over the limit, the first dropped event gets one polite answer; the rest are
    dropped quietly until the bucket refills. Nothing already in the draft is touched.
    """

    def __init__(
        self,
        capacity: int = 25,
        refill_per_second: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.refill = refill_per_second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float, bool]] = {}

    def _allow(self, key: str) -> tuple[bool, bool]:
        now = self.clock()
        tokens, last, warned = self._buckets.get(key, (float(self.capacity), now, False))
        tokens = min(float(self.capacity), tokens + (now - last) * self.refill)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now, False)
            return True, False
        self._buckets[key] = (tokens, now, True)
        if len(self._buckets) > 10_000:
            self._forget_idle(now)
        return False, not warned

    def _forget_idle(self, now: float) -> None:
        horizon = self.capacity / self.refill
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < horizon}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        pseudonym = data.get("pseudonym")
        if pseudonym is None:
            return await handler(event, data)
        allowed, warn = self._allow(pseudonym)
        if allowed:
            return await handler(event, data)
        log.info("flood_dropped person=%s", data.get("log_tag", "-"))
        text = _(
            "You are sending messages very fast. Please wait a few seconds and send "
            "the last ones again: everything before them is saved."
        )
        if isinstance(event, CallbackQuery):
            await event.answer(text if warn else None)
        elif isinstance(event, Message) and warn:
            await event.answer(text)
        return None
