"""A draft stored before the typed draft (storage.draft, version 1: a plain dict with no
version) still loads after the deploy: the person goes on where they were, and the report
sent holds what the old draft held. In the database (SQLite) and in Redis."""

from __future__ import annotations

import pytest
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from redis.asyncio import Redis

from bot.fsm import DatabaseStorage, RedisStorage
from storage.core import Core
from storage.draft import VERSION, VERSION_KEY
from tests.handlers.conversation import Talk, stored_cases
from tests.harness import BotFactory
from tests.services import REDIS_URL
from tgemu import BotHandle

OLD_PART = "Видали лише половину набору."


@pytest.mark.parametrize("kept_in", ["database", "redis"])
async def test_a_draft_stored_in_the_old_format_loads_and_is_sent(
    kept_in: str, start_bot: BotFactory, make_user, bot_core: Core, tg: BotHandle, redis: Redis
) -> None:
    storage: BaseStorage
    if kept_in == "redis":
        await start_bot(redis=Redis.from_url(REDIS_URL))
        storage = RedisStorage(bot_core, Redis.from_url(REDIS_URL))
    else:
        await start_bot()
        storage = DatabaseStorage(bot_core)
    user = await make_user("uk")
    talk = Talk(user, "uk")
    await talk.open_report("assistance_quality", programme="food", oblast="UA-63")
    key = StorageKey(int(tg.token.split(":")[0]), user.id, user.id)
    current = await storage.get_data(key)
    assert current[VERSION_KEY] == VERSION  # what this bot writes
    # What the bot before the typed draft wrote at this step: the same keys, no version,
    # explicit nulls, and a description part already given.
    old = {
        "locale": "uk",
        "prompt_id": current["prompt_id"],
        "live": [],
        "flow": "report",
        "trace": current["trace"],
        "category": "assistance_quality",
        "programme": "food",
        "oblast": "UA-63",
        "parts": [OLD_PART],
        "files": [],
        "contact_mode": None,
        "contact": None,
        "tally_id": None,
    }
    await storage.set_data(key, old)

    replies = await talk.say("Це було в четвер.")
    assert "Отримано: 2 повідомлення" in replies.last.body
    upgraded = await storage.get_data(key)
    assert upgraded[VERSION_KEY] == VERSION
    assert upgraded["parts"] == [OLD_PART, "Це було в четвер."]
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.category == "assistance_quality"
    assert case.programme == "food" and case.oblast == "UA-63"
    assert case.narrative == f"{OLD_PART}\n\nЦе було в четвер."
    await storage.close()
