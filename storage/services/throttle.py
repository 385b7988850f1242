"""Fixed-window rate limits in the database, so that they hold across restarts and instances."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import Clock
from storage.errors import RateLimited
from storage.repositories.throttle import ThrottleRepository


class Throttle:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.repo = ThrottleRepository(session)
        self.clock = clock

    async def check(self, key: str, *, limit: int, window: timedelta) -> None:
        """Raise :class:`RateLimited` if ``key`` already used up its ``limit`` in ``window``."""
        now = self.clock.now()
        if await self.repo.count(key, now - window) >= limit:
            started = await self.repo.first_in_window(key)
            retry_after = (started + window - now).total_seconds() if started else 60
            raise RateLimited(max(1, math.ceil(retry_after)))

    async def hit(self, key: str, *, window: timedelta) -> int:
        now = self.clock.now()
        return await self.repo.hit(key, now=now, window_start=now - window, expires_at=now + window)

    async def forget(self, key: str) -> None:
        """Start ``key`` afresh (a successful sign-in clears its own failures)."""
        await self.repo.forget(key)
