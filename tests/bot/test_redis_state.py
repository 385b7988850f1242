"""Conversation state in Redis (several bot instances on one token): same privacy rules.

Keys are pseudonyms, values are encrypted, everything expires; a restarted bot (a new
Redis connection) continues the draft.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy import text

from tests.handlers.conversation import Talk, stored_cases
from tests.harness import BotFactory
from tests.services import REDIS_URL
from tgemu import BotHandle

DRAFT = "Охоронець вимагав гроші за пропуск."


async def test_a_draft_in_redis_survives_a_restart_and_reveals_nothing(
    start_bot: BotFactory, make_user, bot_core, tg: BotHandle, redis: Redis
) -> None:
    before = {key async for key in redis.scan_iter(match="holos:fsm:*")}
    first = await start_bot(redis=Redis.from_url(REDIS_URL))
    user = await make_user("uk", first_name="Оксана", username="oksana_redis_test")
    talk = Talk(user, "uk")
    await talk.open_report("fraud_corruption")
    await talk.say(DRAFT)

    # State and data; the per-chat lock key comes and goes with each update.
    ours = [
        key
        async for key in redis.scan_iter(match="holos:fsm:*")
        if key not in before and not key.endswith(b":lock")
    ]
    assert ours, "the draft should be in Redis"
    for key in ours:
        assert str(user.id).encode() not in key and b"oksana" not in key
        value = await redis.get(key)
        assert value is not None
        assert DRAFT.encode() not in value and "Охоронець".encode() not in value
        assert str(user.id).encode() not in value
        ttl = await redis.ttl(key)
        assert 0 < ttl <= 25 * 3600  # idle drafts expire (after 24 h, to the next hour)
        # An expiry on the hour: the remaining TTL does not tell when the key was written.
        assert await redis.expiretime(key) % 3600 == 0
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

    for key in ours:  # leave the shared Redis as we found it
        await redis.delete(key)


async def test_the_chosen_language_outlives_the_draft_in_redis(
    start_bot: BotFactory, make_user, redis: Redis
) -> None:
    await start_bot(redis=Redis.from_url(REDIS_URL))
    before = {key async for key in redis.scan_iter(match="holos:fsm:*")}
    user = await make_user("uk")
    await user.send_text("/start")
    await user.press("English")
    ours = [key async for key in redis.scan_iter(match="holos:fsm:*") if key not in before]
    (language_key,) = [key for key in ours if key.endswith(b":language")]
    assert await redis.get(language_key) == b"en"
    assert 89 * 86400 < await redis.ttl(language_key) <= 91 * 86400
    assert await redis.expiretime(language_key) % 86400 == 0  # to the day
    for key in ours:  # the draft expires (a day idle); the language key is left alone
        if key != language_key:
            await redis.delete(key)
    replies = await user.send_text("/start")
    assert "Hello" in replies.last.body
    for key in [key async for key in redis.scan_iter(match="holos:fsm:*") if key not in before]:
        await redis.delete(key)


async def test_after_a_report_no_draft_key_is_left_in_redis(
    start_bot: BotFactory, make_user, bot_core, redis: Redis
) -> None:
    """No timing trail (issue 10): the flow's keys go with the report that ends it."""
    await start_bot(redis=Redis.from_url(REDIS_URL))
    before = {key async for key in redis.scan_iter(match="holos:fsm:*")}
    talk = Talk(await make_user("en"), "en")
    await talk.file_report(parts=[DRAFT])
    assert len(await stored_cases(bot_core)) == 1
    ours = [
        key
        async for key in redis.scan_iter(match="holos:fsm:*")
        if key not in before and not key.endswith(b":lock")
    ]
    # Only the language choice (to the day) outlives the report.
    assert [key for key in ours if not key.endswith(b":language")] == []
    for key in ours:
        await redis.delete(key)
