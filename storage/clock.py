"""Time, in one replaceable place: every rule that depends on "now" asks a Clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a deliberate slow-down, such as a throttled sign-in)."""
        if seconds > 0:
            await asyncio.sleep(seconds)


class FrozenClock(Clock):
    """A clock tests can set and advance (SLA, retention and expiry rules)."""

    def __init__(self, at: datetime | None = None) -> None:
        self._now = at or datetime.now(UTC)
        # Every wait asked of :meth:`sleep`, in order: tests read the slow-downs here.
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Moves the clock on at once instead of waiting, and records the wait."""
        self.slept.append(seconds)
        if seconds > 0:
            self._now += timedelta(seconds=seconds)
        await asyncio.sleep(0)  # still a point where other tasks run, as a real wait is

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, at: datetime) -> None:
        self._now = at


# Coarse time (issue 10, "no timing trail"): a stored moment that is not needed to the
# second is kept to the minute or the hour, so that rows about one person cannot be lined
# up with a case by their milliseconds. Moments count from the Unix epoch in UTC, so
# windows of an hour or a day start on the hour or at midnight UTC.
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def floor_to(moment: datetime, unit: timedelta) -> datetime:
    """The start of the ``unit``-long slot ``moment`` falls in."""
    return _EPOCH + ((moment - _EPOCH) // unit) * unit


def ceil_to(moment: datetime, unit: timedelta) -> datetime:
    """The end of that slot (``moment`` itself when it is already on a boundary)."""
    start = floor_to(moment, unit)
    return start if start == moment else start + unit
