"""Reporting periods in local (Kyiv) time.

A day or a month of the M&E unit is a calendar day or month on the clock in Kyiv, not
in UTC: a case sent at 23:30 on 31 October Kyiv time belongs to October even though it
is already November in some time zones and still October in UTC, and across the
daylight-saving change at the end of October a month is not a whole number of 24-hour
days. Periods are half-open ``[start, end)`` UTC instants, computed with ``zoneinfo``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# The days a period may name. Beyond them the arithmetic of a period (its end is the
# next day's midnight, in UTC) overflows Python's dates: such a request is a client
# error with the parameter's name, never a 500. Holos holds nothing from before 2000.
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)


class InvalidPeriod(InvalidInput):
    """A period the caller asked for that cannot be one; ``parameter`` names the culprit."""

    code = "invalid_period"

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


class PeriodTooLong(InvalidPeriod):
    code = "period_too_long"


@dataclass(frozen=True)
class Period:
    """Calendar days ``first``..``last`` (both included) in ``zone``."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def label(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` begins in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def month_key(instant: datetime, zone: ZoneInfo) -> str:
    """``YYYY-MM`` of the local month ``instant`` falls in."""
    local = instant.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def in_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def check_day(day: date | None, parameter: str) -> None:
    if day is not None and not in_range(day):
        raise InvalidPeriod(
            parameter,
            f"{day.isoformat()} is outside {EARLIEST.isoformat()} … {LATEST.isoformat()}.",
        )


def parse_month(value: str, parameter: str = "month") -> date:
    """``2026-11`` -> the first day of that month; anything else is refused."""
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidPeriod(parameter, f"{value!r} is not a month like 2026-11.")
    year = int(match.group(1))
    if not EARLIEST.year <= year <= LATEST.year:
        raise InvalidPeriod(parameter, f"{value!r} is outside {EARLIEST.year} … {LATEST.year}.")
    return date(year, int(match.group(2)), 1)


def month_period(first_day: date, zone: ZoneInfo) -> Period:
    return Period(first_day, next_month(first_day) - timedelta(days=1), zone)


def next_month(first_day: date) -> date:
    return date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)


def previous_month(first_day: date) -> date:
    if first_day.month == 1:
        return date(first_day.year - 1, 12, 1)
    return date(first_day.year, first_day.month - 1, 1)


def months_between(period: Period) -> list[str]:
    """Every ``YYYY-MM`` the period touches, in order (empty months are rows too)."""
    keys = []
    month = period.first.replace(day=1)
    while month <= period.last:
        keys.append(f"{month.year:04d}-{month.month:02d}")
        month = next_month(month)
    return keys


def resolve_period(
    first: date | None,
    last: date | None,
    *,
    now: datetime,
    zone: ZoneInfo,
    max_days: int,
) -> Period:
    """The period a request asks for; by default the current month up to today.

    ``from`` after ``to``, a day outside :data:`EARLIEST` … :data:`LATEST` and a period
    longer than ``max_days`` are refused, naming the parameter to change.
    """
    check_day(first, "from")
    check_day(last, "to")
    today = local_date(now, zone)
    last = last or (today if first is None or first <= today else first)
    first = first or last.replace(day=1)
    if first > last:
        raise InvalidPeriod(
            "from", f"{first.isoformat()} is after to ({last.isoformat()}); swap them."
        )
    period = Period(first, last, zone)
    if period.days > max_days:
        raise PeriodTooLong(
            "to",
            f"the period spans {period.days} days; the most is {max_days} "
            "(HOLOS_STATS_MAX_DAYS): ask for a shorter one.",
        )
    return period
