"""Fixed-window counters: global ones in the database (they hold across restarts and
instances), per-person ones outside it (storage.counters).

Windows are aligned to the clock (an hour window starts on the hour, a day window at
midnight UTC), so a counter row holds the start of its window and nothing finer: no
row tells when a person's first miss or first report of the day happened.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import DAY, HOUR, Clock, floor_to
from storage.core import Core
from storage.counters import PersonCounters
from storage.crypto import PersonKeys
from storage.errors import QuotaReached, RateLimited
from storage.repositories.throttle import ThrottleRepository


class Throttle:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.repo = ThrottleRepository(session)
        self.clock = clock

    def window(self, window: timedelta) -> tuple[datetime, datetime]:
        """The current window's start and end."""
        start = floor_to(self.clock.now(), window)
        return start, start + window

    async def used(self, key: str, *, window: timedelta) -> int:
        start, _ = self.window(window)
        return await self.repo.count(key, start)

    async def check(self, key: str, *, limit: int, window: timedelta) -> None:
        """Raise :class:`RateLimited` if ``key`` already used up its ``limit`` in ``window``."""
        if await self.used(key, window=window) >= limit:
            _, end = self.window(window)
            retry_after = (end - self.clock.now()).total_seconds()
            raise RateLimited(max(1, math.ceil(retry_after)))

    async def hit(self, key: str, *, window: timedelta, amount: int = 1) -> int:
        """Count ``amount`` in the current window, atomically; return the new total."""
        start, end = self.window(window)
        return await self.repo.hit(key, window_start=start, expires_at=end, amount=amount)

    async def give_back(self, key: str, window_start: datetime) -> None:
        """Undo one :meth:`hit` made in the window that started at ``window_start``."""
        await self.repo.give_back(key, window_start)

    async def forget(self, key: str) -> None:
        """Start ``key`` afresh (a successful sign-in clears its own failures)."""
        await self.repo.forget(key)


# The network one subscriber is handed: an IPv6 /64 is one home or one phone (RFC 6177;
# privacy extensions draw a new address within it every day, an attacker one per try).
IPV6_GROUP_PREFIX = 64


def address_group(client: str) -> str:
    """What a client address counts as in limits: an IPv4 address as itself (an
    IPv4-mapped IPv6 address too), an IPv6 address as its /64. Anything else (a test
    client's name, an empty peer) as it is."""
    try:
        ip = ipaddress.ip_address(client.strip())
    except ValueError:
        return client
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_GROUP_PREFIX), strict=False))
    return str(ip)


class ReporterQuota:
    """How much one person may send in a day (issue 10): reports, and attachment bytes.

    Counted per UTC day under the person's quota keys (another key each day), outside
    the database (storage.counters): a count written as a report is stored would sit in
    the database's log beside the case. Generous for anyone reporting in earnest, a wall
    for a script filling the worklist or the disk."""

    def __init__(
        self,
        counters: PersonCounters,
        clock: Clock,
        person: PersonKeys,
        *,
        reports: int,
        attachment_bytes: int,
    ) -> None:
        self.counters = counters
        self.clock = clock
        self.person = person
        self.reports = reports
        self.attachment_bytes = attachment_bytes

    @classmethod
    def of(cls, counters: PersonCounters, core: Core, person: PersonKeys) -> ReporterQuota:
        """The quotas the settings give."""
        settings = core.settings
        return cls(
            counters,
            core.clock,
            person,
            reports=settings.reports_per_day,
            attachment_bytes=settings.attachment_mb_per_day * 1024 * 1024,
        )

    def _resets_at(self) -> datetime:
        return floor_to(self.clock.now(), DAY) + DAY

    def _key(self, kind: str) -> str:
        return self.person.quota(kind, self.clock.now().date())

    async def check_report(self) -> None:
        """Raise :class:`QuotaReached` when today's reports are used up."""
        if await self.counters.get(self._key("reports")) >= self.reports:
            raise QuotaReached("reports", self._resets_at())

    async def count_report(self) -> None:
        await self.counters.add(self._key("reports"), 1, until=self._resets_at())

    async def check_bytes(self, size: int) -> None:
        """Raise :class:`QuotaReached` when a file of ``size`` bytes would pass today's cap."""
        used = await self.counters.get(self._key("bytes"))
        if used + max(0, size) > self.attachment_bytes:
            raise QuotaReached("attachment_bytes", self._resets_at())

    async def count_bytes(self, size: int) -> None:
        await self.counters.add(self._key("bytes"), max(0, size), until=self._resets_at())


RECEIPT_WINDOW = HOUR


class ReceiptMisses:
    """One person's wrong receipt codes this hour, kept outside the database like the
    quotas (storage.counters)."""

    def __init__(self, counters: PersonCounters, clock: Clock, person: PersonKeys) -> None:
        self.counters = counters
        self.clock = clock
        self.person = person

    def _window(self) -> tuple[str, datetime]:
        start = floor_to(self.clock.now(), RECEIPT_WINDOW)
        return self.person.receipt_misses(start), start + RECEIPT_WINDOW

    async def used(self) -> int:
        return await self.counters.get(self._window()[0])

    async def check(self, limit: int) -> None:
        """Raise :class:`RateLimited` once ``limit`` misses were used this hour."""
        if await self.used() >= limit:
            retry_after = (self._window()[1] - self.clock.now()).total_seconds()
            raise RateLimited(max(1, math.ceil(retry_after)))

    async def hit(self) -> None:
        key, until = self._window()
        await self.counters.add(key, 1, until=until)


class ReceiptGuard:
    """Receipt-code lookups under a flood of guesses from many accounts (issue 10).

    Each person has five wrong codes an hour (checked in the lookup itself). The global
    count of misses never refuses anyone, since a code that matches must always open its
    case; past ``global_cap`` misses in the hour, a person with no miss yet this hour
    waits ``delay`` seconds before their lookup. A guesser pays that for every fresh
    account; a person with their code pays it once."""

    def __init__(
        self, session: AsyncSession, clock: Clock, *, global_cap: int, delay: float
    ) -> None:
        self.throttle = Throttle(session, clock)
        self.global_cap = global_cap
        self.delay = delay

    async def delay_for(self, misses: ReceiptMisses) -> float:
        if await self.throttle.used("receipt:global", window=RECEIPT_WINDOW) < self.global_cap:
            return 0.0
        if await misses.used() > 0:
            return 0.0
        return self.delay
