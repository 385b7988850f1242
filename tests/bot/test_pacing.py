"""Outgoing pacing and flood gates, in memory and in Redis (shared by instances).

No sleeping: the pacer reports the wait it would take, and the flood gate's clock is
moved by hand (Redis keeps its own clock, so its windows are checked by state only).
"""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.middlewares import MemoryFloodGate, RedisFloodGate
from bot.pacing import Limit, MemoryBuckets, Pacer, RedisBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def no_sleep(_: float) -> None:
    return None


async def chat_key(chat: int | str) -> str:
    return f"chat-{chat}"


def pacer(buckets: MemoryBuckets | RedisBuckets) -> Pacer:
    return Pacer(
        buckets,
        chat_key,
        per_chat=Limit(per_second=1.0, burst=3),
        overall=Limit(per_second=30.0, burst=30),
        sleep=no_sleep,
    )


async def test_a_chat_gets_a_burst_then_one_message_a_second() -> None:
    clock = Clock()
    paced = pacer(MemoryBuckets(clock))
    waits = [await paced.wait("sendMessage", 7) for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]
    # Another chat is not held up by this one; answers to buttons are not paced at all.
    assert await paced.wait("sendMessage", 8) == 0.0
    assert await paced.wait("answerCallbackQuery", 7) == 0.0
    # After a quiet spell the burst is back.
    clock.now += 10
    assert [await paced.wait("sendMessage", 7) for _ in range(3)] == [0.0, 0.0, 0.0]


async def test_the_bot_as_a_whole_keeps_to_thirty_a_second() -> None:
    paced = pacer(MemoryBuckets(Clock()))
    waits = [await paced.wait("sendMessage", chat) for chat in range(60)]
    assert waits[:30] == [0.0] * 30
    assert waits[30] == pytest.approx(1 / 30)
    assert waits[59] == pytest.approx(1.0)


async def test_two_instances_share_a_chat_s_pace_through_redis(redis: Redis) -> None:
    chat = f"pace-test-{id(redis)}"
    first, second = pacer(RedisBuckets(redis)), pacer(RedisBuckets(redis))
    waits = [await (first if i % 2 else second).wait("sendMessage", chat) for i in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    # The fourth and fifth wait about one and two seconds, whichever instance sends.
    assert 0.5 < waits[3] <= 1.0 and 1.5 < waits[4] <= 2.0


async def test_a_flood_gets_one_notice_then_silence_until_the_window_passes() -> None:
    clock = Clock()
    gate = MemoryFloodGate(capacity=5, refill_per_second=1.0, window=10.0, clock=clock)
    results = [await gate.check("p") for _ in range(40)]
    assert results[:5] == [(True, False)] * 5
    assert results[5] == (False, True)  # the one notice
    assert results[6:] == [(False, False)] * 34
    clock.now += 9  # still inside the window: silence, even with tokens back
    assert await gate.check("p") == (False, False)
    clock.now += 1.5
    assert await gate.check("p") == (True, False)
    # Someone else was never affected.
    assert await gate.check("q") == (True, False)


async def test_the_flood_state_in_redis_holds_across_instances(redis: Redis) -> None:
    key = f"flood-test-{id(redis)}"
    gates = [RedisFloodGate(redis, capacity=5, refill_per_second=0.01, window=60.0) for _ in "ab"]
    results = [await gates[i % 2].check(key) for i in range(12)]
    assert results[:5] == [(True, False)] * 5
    assert results[5:] == [(False, True)] + [(False, False)] * 6
    assert await redis.ttl(f"holos:flood:{key}") > 0


async def test_the_flood_state_in_redis_keeps_no_time_finer_than_ten_seconds(
    redis: Redis,
) -> None:
    """Issue 18, "timing trail": the hash held the exact time of the last message. Now
    it keeps tokens and ten-second tick numbers, and expires on a tick boundary."""
    key = f"flood-test-ticks-{id(redis)}"
    gate = RedisFloodGate(redis, capacity=3, refill_per_second=1.0, window=10.0)
    results = [await gate.check(key) for _ in range(5)]
    assert results[:3] == [(True, False)] * 3 and results[3] == (False, True)
    now = (await redis.time())[0]
    state = await redis.hgetall(f"holos:flood:{key}")
    assert set(state) == {b"tokens", b"tick", b"blocked"}
    assert int(state[b"tick"]) in (now // 10 - 1, now // 10)
    # No field is a time (seconds since 1970 are ten times the tick numbers).
    assert all(float(value) < now / 5 for value in state.values())
    assert await redis.pexpiretime(f"holos:flood:{key}") % 10_000 == 0
    await redis.delete(f"holos:flood:{key}")
