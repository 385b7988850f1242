"""Injected faults reach aiogram as the exceptions Telegram's real failures produce."""

from __future__ import annotations

import time

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from tgemu import BotHandle, SimulatedUser

USER_ID = 9001


@pytest.fixture
async def user(bot_handle: BotHandle) -> SimulatedUser:
    user = await bot_handle.create_user(id=USER_ID)
    await user.send_text("/start", wait=False)
    return user


async def test_retry_after(tg_bot: Bot, bot_handle: BotHandle, user: SimulatedUser) -> None:
    await bot_handle.inject_retry_after("sendMessage", times=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as caught:
            await tg_bot.send_message(USER_ID, "hi")
        assert caught.value.retry_after == 7
    await tg_bot.send_message(USER_ID, "hi")  # the faults were consumed
    calls = await bot_handle.calls("sendMessage")
    assert [(c["fault"], c["error_code"]) for c in calls] == [
        ("retry_after", 429),
        ("retry_after", 429),
        (None, None),
    ]
    # Injected faults are not the bot's mistakes.
    assert await bot_handle.invalid_calls() == []


async def test_server_error(tg_bot: Bot, bot_handle: BotHandle, user: SimulatedUser) -> None:
    await bot_handle.inject_server_error("sendMessage")
    with pytest.raises(TelegramServerError):
        await tg_bot.send_message(USER_ID, "hi")
    await tg_bot.send_message(USER_ID, "hi")


async def test_dropped_connection(tg_bot: Bot, bot_handle: BotHandle, user: SimulatedUser) -> None:
    await bot_handle.inject_drop("getMe")
    with pytest.raises(TelegramNetworkError):
        await tg_bot.get_me()
    assert (await tg_bot.get_me()).is_bot
    calls = await bot_handle.calls("getMe")
    assert [c["fault"] for c in calls] == ["drop", None]


async def test_any_method_fault_and_delay(
    tg_bot: Bot, bot_handle: BotHandle, user: SimulatedUser
) -> None:
    await bot_handle.inject_delay("getMe", seconds=0.4)
    started = time.monotonic()
    await tg_bot.get_me()
    assert time.monotonic() - started >= 0.4
    await bot_handle.inject_server_error("*")
    with pytest.raises(TelegramServerError):
        await tg_bot.get_my_commands()


async def test_blocked_user(tg_bot: Bot, bot_handle: BotHandle, user: SimulatedUser) -> None:
    await user.block()
    with pytest.raises(TelegramForbiddenError) as caught:
        await tg_bot.send_message(USER_ID, "are you there?")
    assert "bot was blocked by the user" in str(caught.value)
    updates = await tg_bot.get_updates()
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    await user.unblock()
    await tg_bot.send_message(USER_ID, "welcome back")


async def test_bot_cannot_start_a_conversation(tg_bot: Bot, bot_handle: BotHandle) -> None:
    await bot_handle.create_user(id=USER_ID + 1)
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await tg_bot.send_message(USER_ID + 1, "hello stranger")
