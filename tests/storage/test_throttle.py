"""Counters and quotas (issue 10): aligned windows, coarse times; per-person ones outside
the database (issue 18)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.clock import FrozenClock
from storage.core import Core
from storage.counters import MemoryCounters, PersonCounters, RedisCounters
from storage.errors import QuotaReached, RateLimited
from storage.models import ThrottleCounter
from storage.services.throttle import ReceiptMisses, ReporterQuota, Throttle, address_group
from tests.services import reachable_redis

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


@pytest.fixture(params=["memory", "redis"])
async def person_counters(
    request: pytest.FixtureRequest, clock: FrozenClock
) -> AsyncIterator[PersonCounters]:
    """Where per-person counts live: this process's memory, or Redis."""
    if request.param == "memory":
        yield MemoryCounters(clock)
        return
    redis = await reachable_redis()
    prefix = f"holos:test-count:{secrets.token_hex(4)}:"
    yield RedisCounters(redis, clock, prefix=prefix)
    async for key in redis.scan_iter(match=prefix + "*"):
        await redis.delete(key)
    await redis.aclose()


async def test_daily_quotas_on_reports_and_attachment_bytes(
    core: Core, clock: FrozenClock, person_counters: PersonCounters
) -> None:
    clock.set(ODD_MOMENT)
    midnight = datetime(2026, 3, 3, tzinfo=UTC)
    person, other = core.crypto.person(1), core.crypto.person(2)
    quota = ReporterQuota(person_counters, clock, person, reports=2, attachment_bytes=1000)
    for _ in range(2):
        await quota.check_report()
        await quota.count_report()
    with pytest.raises(QuotaReached) as reports:
        await quota.check_report()
    # Per person.
    await ReporterQuota(person_counters, clock, other, reports=2, attachment_bytes=1).check_report()
    await quota.check_bytes(600)
    await quota.count_bytes(600)
    await quota.check_bytes(400)
    with pytest.raises(QuotaReached) as files:
        await quota.check_bytes(401)
    assert (reports.value.quota, reports.value.resets_at) == ("reports", midnight)
    assert (files.value.quota, files.value.resets_at) == ("attachment_bytes", midnight)
    # Never in the database (issue 18): a count written as a report is stored would sit
    # in its log beside the case.
    assert await counters(core) == []
    if isinstance(person_counters, RedisCounters):
        key = person_counters.prefix + person.quota("reports", ODD_MOMENT.date())
        # Gone when the day is over, and its expiry tells no time finer than the hour.
        # 14 h 43 min to midnight by the test clock, rounded up to a whole hour of Redis time.
        assert 14 * 3600 < await person_counters.redis.ttl(key) <= 16 * 3600
        assert await person_counters.redis.expiretime(key) % 3600 == 0
    clock.set(midnight)  # another day, another key: a fresh count
    await quota.check_report()
    await quota.check_bytes(1000)


async def test_receipt_misses_count_per_person_per_hour_outside_the_database(
    core: Core, clock: FrozenClock, person_counters: PersonCounters
) -> None:
    clock.set(ODD_MOMENT)
    misses = ReceiptMisses(person_counters, clock, core.crypto.person(1))
    for _ in range(3):
        await misses.check(3)
        await misses.hit()
    with pytest.raises(RateLimited) as caught:
        await misses.check(3)
    assert caught.value.retry_after == 42 * 60 + 37  # until 10:00
    assert await ReceiptMisses(person_counters, clock, core.crypto.person(2)).used() == 0
    assert await counters(core) == []
    clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    await misses.check(3)


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
