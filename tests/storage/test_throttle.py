"""Counters and quotas keyed by pseudonym (issue 10): aligned windows, coarse times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.clock import FrozenClock
from storage.core import Core
from storage.errors import QuotaReached, RateLimited
from storage.models import ThrottleCounter
from storage.services.throttle import ReporterQuota, Throttle, address_group

ODD_MOMENT = datetime(2026, 3, 2, 9, 17, 23, 456000, tzinfo=UTC)


async def counters(core: Core) -> list[ThrottleCounter]:
    async with core.database.transaction() as session:
        return list((await session.scalars(select(ThrottleCounter))).all())


async def test_a_counter_keeps_the_start_of_its_window_not_the_first_hit(
    core: Core, clock: FrozenClock
) -> None:
    clock.set(ODD_MOMENT)
    async with core.database.transaction() as session:
        throttle = Throttle(session, clock)
        await throttle.hit("k", window=timedelta(hours=1))
        await throttle.hit("k", window=timedelta(hours=1), amount=2)
    (row,) = await counters(core)
    assert row.count == 3
    assert row.window_start == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert row.expires_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    async with core.database.transaction() as session:
        with pytest.raises(RateLimited) as caught:
            await Throttle(session, clock).check("k", limit=3, window=timedelta(hours=1))
    # Until the window ends: 42 minutes and a half from 09:17:23.
    assert caught.value.retry_after == 42 * 60 + 37
    clock.set(datetime(2026, 3, 2, 10, 0, 1, tzinfo=UTC))
    async with core.database.transaction() as session:
        await Throttle(session, clock).check("k", limit=3, window=timedelta(hours=1))
        assert await Throttle(session, clock).hit("k", window=timedelta(hours=1)) == 1


async def test_daily_quotas_on_reports_and_attachment_bytes(core: Core, clock: FrozenClock) -> None:
    clock.set(ODD_MOMENT)
    midnight = datetime(2026, 3, 3, tzinfo=UTC)
    async with core.database.transaction() as session:
        quota = ReporterQuota(session, clock, reports=2, attachment_bytes=1000)
        for _ in range(2):
            await quota.check_report("p")
            await quota.count_report("p")
        with pytest.raises(QuotaReached) as reports:
            await quota.check_report("p")
        await quota.check_report("other")  # per person
        await quota.check_bytes("p", 600)
        await quota.count_bytes("p", 600)
        await quota.check_bytes("p", 400)
        with pytest.raises(QuotaReached) as files:
            await quota.check_bytes("p", 401)
    assert (reports.value.quota, reports.value.resets_at) == ("reports", midnight)
    assert (files.value.quota, files.value.resets_at) == ("attachment_bytes", midnight)
    # Stored per pseudonym, with the day and nothing finer.
    for row in await counters(core):
        assert row.window_start == datetime(2026, 3, 2, tzinfo=UTC)
    clock.set(midnight)
    async with core.database.transaction() as session:
        quota = ReporterQuota(session, clock, reports=2, attachment_bytes=1000)
        await quota.check_report("p")
        await quota.check_bytes("p", 1000)


async def test_a_hit_given_back_counts_only_in_its_own_window(
    core: Core, clock: FrozenClock
) -> None:
    clock.set(ODD_MOMENT)
    window = timedelta(minutes=15)
    async with core.database.transaction() as session:
        throttle = Throttle(session, clock)
        await throttle.hit("k", window=window)
        await throttle.hit("k", window=window)
        start, _ = throttle.window(window)
        await throttle.give_back("k", start)
        assert await throttle.used("k", window=window) == 1
    # In the next window the old place is gone already: nothing goes below zero.
    clock.advance(window)
    async with core.database.transaction() as session:
        throttle = Throttle(session, clock)
        await throttle.hit("k", window=window)
        await throttle.give_back("k", start)
        assert await throttle.used("k", window=window) == 1
        await throttle.give_back("k", throttle.window(window)[0])
        await throttle.give_back("k", throttle.window(window)[0])
        assert await throttle.used("k", window=window) == 0


@pytest.mark.parametrize(
    ("client", "group"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # an IPv4 client of a dual-stack socket
        ("::1", "::/64"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("testclient", "testclient"),
        ("", ""),
    ],
)
def test_addresses_count_by_the_network_one_subscriber_gets(client: str, group: str) -> None:
    assert address_group(client) == group
