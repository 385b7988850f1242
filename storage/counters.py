"""Per-person counters (daily quotas, hourly receipt-code misses), kept out of the database.

A counter keyed by a per-person value and written as a report is stored would sit in
the database's log right beside the case (issue 18): in the same transaction, or the
next one. So these counters live where no file records their history: in the process's
memory (one instance on SQLite) or in Redis (several instances, and every PostgreSQL
deployment), each under a key that already names its window (see
``storage.crypto.PersonKeys``), gone when the window ends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from storage.clock import HOUR, Clock, ceil_to


class PersonCounters(Protocol):
    async def get(self, key: str) -> int:
        """The count under ``key`` (0 when none, or when its window is over)."""

    async def add(self, key: str, amount: int, *, until: datetime) -> int:
        """Add ``amount``; the count lives until ``until`` (its window's end). The new count."""


class MemoryCounters:
    """In this process only: a restart starts every count afresh, which for a day's quota
    gives a person at most one day's allowance more."""

    # Past this many counts, ended windows are dropped when the next one is added.
    SWEEP_AT = 10_000

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._counts: dict[str, tuple[int, datetime]] = {}

    async def get(self, key: str) -> int:
        count, until = self._counts.get(key, (0, self.clock.now()))
        return count if until > self.clock.now() else 0

    async def add(self, key: str, amount: int, *, until: datetime) -> int:
        total = await self.get(key) + amount
        self._counts[key] = (total, until)
        if len(self._counts) > self.SWEEP_AT:
            now = self.clock.now()
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        return total


class RedisCounters:
    """In Redis, shared by every instance; each count expires with its window."""

    def __init__(self, redis: Redis, clock: Clock, prefix: str = "holos:count:") -> None:
        self.redis = redis
        self.clock = clock
        self.prefix = prefix

    async def get(self, key: str) -> int:
        value = await self.redis.get(self.prefix + key)
        return int(value) if value is not None else 0

    async def add(self, key: str, amount: int, *, until: datetime) -> int:
        # Redis expires by the wall clock, whatever clock the rules run on; on the hour
        # (a window ends on one), so the expiry tells nothing of when the count moved.
        left = until - self.clock.now()
        expire_at = int(ceil_to(datetime.now(UTC) + left, HOUR).timestamp())
        pipe: Any = self.redis.pipeline(transaction=True)
        pipe.incrby(self.prefix + key, amount)
        pipe.expireat(self.prefix + key, expire_at)
        total, _ = await pipe.execute()
        return int(total)
