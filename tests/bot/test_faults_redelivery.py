"""Fault test 3 (issue 11): the same update delivered twice has one effect, through the
real transports: a webhook retry that lands on another instance, and polling after a
crash that never confirmed the update. Only the database remembers it in both cases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import GetUpdates, TelegramMethod
from redis.asyncio import Redis

from storage.clock import FrozenClock
from storage.core import Core, build_core
from tests.bot.fault_kit import (
    instances_behind_a_front,
    require_redis,
    sample,
    settle,
    unique_user_id,
)
from tests.bot.helpers import shown_with
from tests.handlers.conversation import Talk, stored_cases, tr
from tests.harness import BotFactory
from tests.services import REDIS_URL
from tgemu import BotHandle, Emulator, EmulatorThread

RECEIPT_TEXT = "Your receipt code:"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    """This module's own emulator: a webhook answer later than 0.5 s counts as lost, and
    the update is sent again at once."""
    thread = EmulatorThread(
        emulator=Emulator(webhook_retry_initial=0.05, webhook_retry_max=0.2, webhook_timeout=0.5)
    )
    thread.start()
    yield thread
    thread.stop()


async def test_a_webhook_retry_on_the_other_instance_has_no_second_effect(
    bot_core: Core, clock: FrozenClock, tg: BotHandle, emulator: EmulatorThread, make_user
) -> None:
    """Two instances share conversation state and per-chat locks through Redis, as they
    must (README); the retry waits for the first instance's lock, then finds the update
    recorded in the database."""
    other = build_core(bot_core.settings, clock=clock)  # a second process on the database
    clients = [Redis.from_url(REDIS_URL) for _ in "ab"]
    await require_redis(clients[0])
    repeated = sample("holos_bot_repeated_updates_total")
    try:
        async with instances_behind_a_front([bot_core, other], tg.token, emulator, redis=clients):
            # Redis outlives test runs: a person nobody has been before.
            talk = Talk(await make_user("en", id=unique_user_id()), "en")
            await talk.open_report("assistance_quality")
            await talk.say("Story.")
            await talk.tap("✅ Done")
            await talk.tap("🔒 Anonymous")
            # The receipt is slow to go out: the instance handling "Send" answers the
            # webhook too late, and Telegram sends the press again, to the other one.
            await tg.inject_delay("editMessageText", 1.0, times=1)
            await talk.tap("✅ Send")
            await talk.user.wait_for(lambda m: RECEIPT_TEXT in m.body)
            deliveries = (await tg.state())["webhook_deliveries"]
    finally:
        await other.close()
        for client in clients:
            await client.aclose()
    send_id = deliveries[-1]["update_id"]
    tries = [d for d in deliveries if d["update_id"] == send_id]
    assert len(tries) >= 2 and tries[0].get("error") == "Read timeout expired"
    assert len(await stored_cases(bot_core)) == 1
    assert len(await shown_with(tg, RECEIPT_TEXT)) == 1
    assert sample("holos_bot_repeated_updates_total") - repeated >= 1


class Unconfirmed:
    """Once armed, the poll after the one that fetched a button press hangs: the process
    handled the press but dies before its next poll would have told Telegram so."""

    def __init__(self) -> None:
        self.armed = False
        self.fetched = False

    async def __call__(self, make_request: Any, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if not isinstance(method, GetUpdates):
            return await make_request(bot, method)
        if self.fetched:
            await asyncio.Event().wait()  # until the stop cancels it
        updates = await make_request(bot, method)
        if self.armed and any(u.callback_query for u in updates):
            self.fetched = True
        return updates


async def test_polling_after_a_crash_gets_the_update_again_and_ignores_it(
    start_bot: BotFactory, make_user, bot_core: Core, tg: BotHandle
) -> None:
    first = await start_bot()
    unconfirmed = Unconfirmed()
    first.bot.session.middleware(unconfirmed)
    talk = Talk(await make_user("uk"), "uk")
    await talk.open_report("assistance_quality")
    await talk.say("Історія.")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    unconfirmed.armed = True  # the poll that fetches "Send" is the last one confirmed
    # Not waiting for the bot to be idle: the emulator keeps the press until confirmed.
    await talk.user.press(talk.t("✅ Send"), wait=False)
    receipt = tr("uk", "Your receipt code:")
    await talk.user.wait_for(lambda m: receipt in m.body)
    await first.stop()
    pending = (await tg.state())["pending_updates"]
    assert [u["callback_query"]["data"] for u in pending if "callback_query" in u]

    repeated = sample("holos_bot_repeated_updates_total")
    second = await start_bot()  # fetches the unconfirmed update again
    await settle(tg, second)
    assert sample("holos_bot_repeated_updates_total") - repeated == 1
    assert len(await stored_cases(bot_core)) == 1
    assert len(await shown_with(tg, receipt)) == 1
