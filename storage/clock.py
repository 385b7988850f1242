"""Time, in one replaceable place: every rule that depends on "now" asks a Clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock(Clock):
    """A clock tests can set and advance (SLA, retention and expiry rules)."""

    def __init__(self, at: datetime | None = None) -> None:
        self._now = at or datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

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
