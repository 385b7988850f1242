"""Conversation state in Redis (several bot instances on one token, and every PostgreSQL
deployment): same privacy rules.

Keys are the person's per-purpose keys, values are encrypted, everything expires; a
restarted bot (a new Redis connection) continues the draft. Each test looks only at the
keys of its own people: the Redis is shared with other test sessions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis
from sqlalchemy import text

from bot.fsm import PersonKeyBuilder
from storage.clock import FrozenClock
from storage.core import Core
from tests.handlers.conversation import Talk, stored_cases
from tests.harness import BotFactory
from tests.services import REDIS_URL
from tgemu import BotHandle, SimulatedUser

DRAFT = "Охоронець вимагав гроші за пропуск."


def names(core: Core, tg: BotHandle, user: SimulatedUser) -> dict[str, str]:
    """The Redis keys of one person's conversation with this bot, today and yesterday."""
    builder = PersonKeyBuilder(core)
    key = StorageKey(int(tg.token.split(":")[0]), user.id, user.id)
    person = builder.person(key)
    today, yesterday = builder.keys(person, key)
    return {
        "state": builder.redis_key(today.draft, "state"),
        "data": builder.redis_key(today.draft, "data"),
        "old state": builder.redis_key(yesterday, "state"),
        "old data": builder.redis_key(yesterday, "data"),
        "language": f"holos:lang:{today.language}",
        "lock": builder.redis_key(person.lock(builder.conversation(key)), "lock"),
    }


async def forget(redis: Redis, keys: dict[str, str]) -> None:
    await redis.delete(*keys.values())


async def test_a_draft_in_redis_survives_a_restart_and_reveals_nothing(
    start_bot: BotFactory, make_user, bot_core, tg: BotHandle, redis: Redis
) -> None:
    first = await start_bot(redis=Redis.from_url(REDIS_URL))
    user = await make_user("uk", first_name="Оксана", username="oksana_redis_test")
    ours = names(bot_core, tg, user)
    talk = Talk(user, "uk")
    await talk.open_report("fraud_corruption")
    await talk.say(DRAFT)

    for part in ("state", "data"):
        key = ours[part]
        assert str(user.id) not in key and "oksana" not in key
        value = await redis.get(key)
        assert value is not None, f"the draft's {part} should be in Redis"
        assert DRAFT.encode() not in value and "Охоронець".encode() not in value
        assert str(user.id).encode() not in value
        ttl = await redis.ttl(key)
        assert 0 < ttl <= 25 * 3600  # idle drafts expire (after 24 h, to the next hour)
        # An expiry on the hour: the remaining TTL does not tell when the key was written.
        assert await redis.expiretime(key) % 3600 == 0
    assert not await redis.exists(ours["lock"])  # held only while an update runs
    async with bot_core.database.transaction() as session:
        rows = (await session.execute(text("SELECT count(*) FROM conversation_states"))).scalar()
    assert rows == 0  # the state really lives in Redis

    await first.stop()
    await start_bot(redis=Redis.from_url(REDIS_URL))  # a new instance, same Redis
    replies = await talk.say("Це було в четвер.")
    assert "Отримано: 2 повідомлення" in replies.last.body
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.category == "fraud_corruption" and case.sensitive
    await forget(redis, ours)


async def test_a_draft_started_yesterday_moves_to_today_s_key(
    start_bot: BotFactory, make_user, bot_core, tg: BotHandle, clock: FrozenClock, redis: Redis
) -> None:
    """A draft's key changes with the day (storage.crypto.PersonKeys.draft): one begun
    before midnight is found after it, and moves to the new day's key."""
    clock.set(datetime(2026, 3, 2, 23, 58, tzinfo=UTC))
    await start_bot(redis=Redis.from_url(REDIS_URL))
    user = await make_user("en")
    talk = Talk(user, "en")
    monday = names(bot_core, tg, user)
    await talk.open_report("assistance_quality")
    await talk.say("Half a kit.")
    assert await redis.exists(monday["data"])
    clock.advance(timedelta(minutes=5))
    tuesday = names(bot_core, tg, user)
    assert tuesday["old data"] == monday["data"] and tuesday["data"] != monday["data"]
    replies = await talk.say("On Monday.")
    assert "Received: 2 messages" in replies.last.body
    assert await redis.exists(tuesday["data"], tuesday["state"]) == 2
    assert await redis.exists(monday["data"], monday["state"]) == 0
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "Half a kit.\n\nOn Monday."
    await forget(redis, tuesday)


async def test_the_chosen_language_outlives_the_draft_in_redis(
    start_bot: BotFactory, make_user, bot_core, tg: BotHandle, redis: Redis
) -> None:
    await start_bot(redis=Redis.from_url(REDIS_URL))
    user = await make_user("uk")
    ours = names(bot_core, tg, user)
    await user.send_text("/start")
    await user.press("English")
    # Under the person's language key: nothing in it or in its name says which draft
    # key is the same person's.
    assert await redis.get(ours["language"]) == b"en"
    assert 89 * 86400 < await redis.ttl(ours["language"]) <= 91 * 86400
    assert await redis.expiretime(ours["language"]) % 86400 == 0  # to the day
    # The draft expires (a day idle); the language key is left alone.
    await redis.delete(ours["state"], ours["data"])
    replies = await user.send_text("/start")
    assert "Hello" in replies.last.body
    await forget(redis, ours)


async def test_after_a_report_no_draft_key_is_left_in_redis(
    start_bot: BotFactory, make_user, bot_core, tg: BotHandle, redis: Redis
) -> None:
    """No timing trail (issue 10): the flow's keys go with the report that ends it."""
    await start_bot(redis=Redis.from_url(REDIS_URL))
    user = await make_user("en")
    ours = names(bot_core, tg, user)
    await Talk(user, "en").file_report(parts=[DRAFT])
    assert len(await stored_cases(bot_core)) == 1
    # Nothing of the conversation outlives the report.
    assert await redis.exists(*(ours[k] for k in ("state", "data", "old state", "old data"))) == 0
    await forget(redis, ours)
