"""Outgoing pacing: stay inside Telegram's limits instead of collecting 429s.

Telegram asks for about one message per second per chat (short bursts are fine) and
about thirty per second overall. Each message reserves a slot in two GCRA buckets, one
for its chat and one for the bot, and waits until both slots come. GCRA keeps a single
number per bucket (the "theoretical arrival time"), so the Redis version is one small
script, atomic, on Redis's clock: instances sharing a token share the limits.

Chat ids never become keys: a bucket is named by a pseudonym of the chat.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis

# Methods that put a message in a chat (edits change one already there).
CHAT_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendSticker",
        "copyMessage",
        "forwardMessage",
    }
)
# Counted against the bot's overall budget as well.
BOT_METHODS = CHAT_METHODS | {"editMessageText", "editMessageReplyMarkup", "deleteMessages"}


@dataclass(frozen=True)
class Limit:
    per_second: float
    burst: int

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        return self.interval * (self.burst - 1)


PER_CHAT = Limit(per_second=1.0, burst=8)
OVERALL = Limit(per_second=30.0, burst=30)


class Buckets(Protocol):
    async def reserve(self, key: str, limit: Limit) -> float:
        """Take the next slot of ``key``'s bucket; return how long to wait for it."""


class MemoryBuckets:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._tat: dict[str, float] = {}

    async def reserve(self, key: str, limit: Limit) -> float:
        now = self.clock()
        tat = max(self._tat.get(key, now), now)
        self._tat[key] = tat + limit.interval
        if len(self._tat) > 50_000:
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        return max(0.0, tat - limit.tolerance - now)


_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local ttl = math.ceil((tat + interval - now) * 1000) + 1000
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', ttl)
local delay = tat - tolerance - now
if delay < 0 then delay = 0 end
return tostring(delay)
"""


class RedisBuckets:
    def __init__(self, redis: Redis, prefix: str = "holos:pace:") -> None:
        self.prefix = prefix
        self._script: Any = redis.register_script(_GCRA)

    async def reserve(self, key: str, limit: Limit) -> float:
        result = await self._script(
            keys=[self.prefix + key], args=[repr(limit.interval), repr(limit.tolerance)]
        )
        return float(result.decode() if isinstance(result, bytes) else result)


class Pacer:
    def __init__(
        self,
        buckets: Buckets,
        chat_key: Callable[[int | str], Awaitable[str]],
        *,
        per_chat: Limit = PER_CHAT,
        overall: Limit = OVERALL,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.buckets = buckets
        self.chat_key = chat_key
        self.per_chat = per_chat
        self.overall = overall
        self.sleep = sleep

    async def wait(self, method: str, chat_id: int | str | None) -> float:
        """Wait for this call's turn; return how long that was."""
        if method not in BOT_METHODS:
            return 0.0
        delay = await self.buckets.reserve("bot", self.overall)
        if chat_id is not None and method in CHAT_METHODS:
            delay = max(
                delay, await self.buckets.reserve(await self.chat_key(chat_id), self.per_chat)
            )
        if delay > 0:
            await self.sleep(delay)
        return delay
