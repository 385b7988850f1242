"""The handlers' plain filters (states, ``F`` expressions) are checked in place, not
each in a thread of its own (bot.factory.run_filters_inline)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.factory import create_dispatcher
from storage.core import Core
from tests.handlers.conversation import Talk
from tests.harness import BotFactory


def test_no_filter_of_the_dispatcher_would_go_to_a_thread(core: Core) -> None:
    dp = create_dispatcher(core)
    plain = [
        check
        for router in dp.chain_tail
        for observer in router.observers.values()
        for handler in [observer._handler, *observer.handlers]
        for check in handler.filters or ()
        if not check.awaitable
    ]
    assert plain == []


async def test_a_report_step_sends_no_filter_to_a_thread(
    start_bot: BotFactory, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_bot()
    talk = Talk(await make_user("en"), "en")
    await talk.command("start")
    sent: list[str] = []
    to_thread = asyncio.to_thread

    async def counting(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(func, "__qualname__", type(func).__name__))
        return await to_thread(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counting)
    await talk.tap("📝 Complaint or feedback")
    await talk.say("Half of the kit was missing.")
    await talk.command("menu")
    # aiogram sent each State and F filter it tried through asyncio.to_thread.
    assert sent == []
