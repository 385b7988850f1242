"""No database transaction is open while the bot waits on Telegram (issue 9, cause 1),
and an update whose effects are stored is never handled a second time (issue 11).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import TelegramObject, Update
from sqlalchemy import func, select

from storage.core import Core
from storage.models import ProcessedUpdate
from storage.uow import UnitOfWork
from tests.bot.helpers import shown_with
from tests.handlers.conversation import Talk, stored_cases
from tests.harness import BotFactory
from tgemu import BotHandle


class LockProbe:
    """Sits next to the wire: at every Bot API call, is a write lock or a transaction of
    the update held? A second connection that asks for the write lock without waiting
    finds out for SQLite; the unit of work says it for the update itself."""

    def __init__(self, database_path: str) -> None:
        self.path = database_path
        self.calls: list[str] = []
        self.held: list[str] = []

    async def __call__(self, make_request: Any, bot: Bot, method: TelegramMethod[Any]) -> Any:
        name = method.__api_method__
        if name != "getUpdates":
            self.calls.append(name)
            uow = UnitOfWork.current()
            if uow is not None and uow.in_transaction:
                self.held.append(f"{name}: transaction open")
            probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            except sqlite3.OperationalError:
                self.held.append(f"{name}: write lock held")
            finally:
                probe.close()
        return await make_request(bot, method)


async def test_no_transaction_is_held_across_a_bot_api_call(
    start_bot: BotFactory, make_user, bot_core: Core
) -> None:
    runtime = await start_bot()
    # The delivery worker takes the write lock for a moment every round: stop it, so
    # any lock the probe finds is the conversation's.
    await runtime.worker.flush()
    runtime.worker.stop()
    probe = LockProbe(bot_core.settings.database_url.split("///", 1)[1])
    runtime.bot.session.middleware(probe)  # innermost: runs after the release
    talk = Talk(await make_user("uk"), "uk")
    code = await talk.file_report(parts=("Перша частина.", "Друга частина."))
    # The follow-up reads and writes too: look the report up, then leave.
    await talk.command("start")
    await talk.tap("🔎 Check my report")
    await talk.say(code)
    assert len(probe.calls) > 15
    assert probe.held == []
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "Перша частина.\n\nДруга частина."


async def processed(core: Core) -> int:
    async with core.database.read_only() as session:
        return int(await session.scalar(select(func.count()).select_from(ProcessedUpdate)) or 0)


async def test_a_redelivered_update_has_no_second_effect_even_after_a_restart(
    start_bot: BotFactory, make_user, bot_core: Core, tg: BotHandle
) -> None:
    first = await start_bot()
    seen: list[Update] = []

    async def keep(handler: Any, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        seen.append(event)
        return await handler(event, data)

    first.dp.update.outer_middleware(keep)
    talk = Talk(await make_user("en"), "en")
    await talk.file_report()
    send = seen[-1]  # the press on "Send": it stored the case
    assert send.callback_query is not None
    receipts = len(await shown_with(tg, "Your receipt code:"))
    assert receipts == 1

    # Telegram sends it again to this process (a webhook retry) ...
    await first.dp.feed_update(first.bot, send)
    # ... and to a fresh one (polling after a crash, or another instance): no memory of
    # it there, only the database's.
    await first.stop()
    second = await start_bot()
    await second.dp.feed_update(second.bot, send)

    assert len(await stored_cases(bot_core)) == 1
    assert len(await shown_with(tg, "Your receipt code:")) == receipts
    assert await processed(bot_core) == len(seen)
