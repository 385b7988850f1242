"""The pydantic classes aiogram reads answers with survive a garbage collection, so a
Bot API call never rebuilds one (bot.factory.KeepResponseTypes)."""

from __future__ import annotations

import gc
import weakref

from aiogram.methods.base import Response
from aiogram.types import Message

from tests.handlers.conversation import Talk
from tests.harness import BotFactory


async def test_response_classes_are_kept_across_a_garbage_collection(
    start_bot: BotFactory, make_user
) -> None:
    await start_bot()
    talk = Talk(await make_user("uk"), "uk")
    await talk.command("start")  # the bot sends messages: Response[Message] was used
    gc.collect()
    kept = weakref.ref(Response[Message])
    gc.collect()
    # Only the bot's middleware holds it now; without it the class is gone.
    assert kept() is not None
