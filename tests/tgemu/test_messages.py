"""Message lifecycle rules: deletion window, edits, stale buttons, commands, menus."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from tgemu import BotHandle, EmulatorClient

USER_ID = 3001


def keyboard(label: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=data)]]
    )


async def test_delete_rules(tg_bot: Bot, bot_handle: BotHandle, client: EmulatorClient) -> None:
    user = await bot_handle.create_user(id=USER_ID)
    await user.send_text("my report", wait=False)
    old = await tg_bot.send_message(USER_ID, "old")
    assert await tg_bot.delete_message(USER_ID, old.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await tg_bot.delete_message(USER_ID, old.message_id)

    kept = await tg_bot.send_message(USER_ID, "kept")
    await client.advance_clock(48 * 3600 + 1)
    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await tg_bot.delete_message(USER_ID, kept.message_id)
    fresh = await tg_bot.send_message(USER_ID, "fresh")
    # The user's own message is also older than 48 hours now: deleteMessages skips it.
    assert await tg_bot.delete_messages(USER_ID, [1, fresh.message_id])
    assert [m.text for m in await user.chat()] == ["my report", "kept"]
    # Deleting in a chat that is not the bot's is refused.
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await tg_bot.delete_message(USER_ID + 999, kept.message_id)


async def test_edits(tg_bot: Bot, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=USER_ID)
    await user.send_text("hi", wait=False)
    sent = await tg_bot.send_message(USER_ID, "Pick", reply_markup=keyboard("A", "a"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await tg_bot.edit_message_text(
            "Pick", chat_id=USER_ID, message_id=sent.message_id, reply_markup=keyboard("A", "a")
        )
    await tg_bot.edit_message_reply_markup(
        chat_id=USER_ID, message_id=sent.message_id, reply_markup=keyboard("B", "b")
    )
    assert (await user.chat())[-1].button_labels == ["B"]
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await tg_bot.edit_message_text("hacked", chat_id=USER_ID, message_id=1)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await tg_bot.edit_message_text("nothing", chat_id=USER_ID, message_id=999)


async def test_stale_and_forged_buttons(tg_bot: Bot, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=USER_ID)
    await user.send_text("hi", wait=False)
    first = await tg_bot.send_message(USER_ID, "First", reply_markup=keyboard("Go", "go:1"))
    await tg_bot.send_message(USER_ID, "Second", reply_markup=keyboard("Go", "go:2"))
    await user.press("Go", wait=False)  # the newest message with that label
    await user.press("Go", message_id=first.message_id, wait=False)  # an old message
    await user.send_callback("forged:admin", first.message_id, wait=False)
    await user.send_callback("gone", 12345, inaccessible=True, wait=False)
    queries = [u.callback_query for u in await tg_bot.get_updates() if u.callback_query]
    assert [q.data for q in queries] == ["go:2", "go:1", "forged:admin", "gone"]
    assert isinstance(queries[3].message, InaccessibleMessage)
    await tg_bot.answer_callback_query(queries[0].id, text="ok")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await tg_bot.answer_callback_query(queries[0].id, text="twice")


async def test_commands_and_menu_button(tg_bot: Bot, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=USER_ID)
    await user.send_command("start", "campaign42", wait=False)
    message = (await tg_bot.get_updates())[-1].message
    assert message.text == "/start campaign42"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6

    await tg_bot.set_my_commands([BotCommand(command="start", description="Start")])
    await tg_bot.set_my_commands(
        [BotCommand(command="status", description="Статус")], language_code="uk"
    )
    scope = BotCommandScopeChat(chat_id=USER_ID)
    await tg_bot.set_my_commands([BotCommand(command="help", description="Help")], scope=scope)
    assert [c.command for c in await tg_bot.get_my_commands()] == ["start"]
    assert [c.command for c in await tg_bot.get_my_commands(language_code="uk")] == ["status"]
    assert [c.command for c in await tg_bot.get_my_commands(scope=scope)] == ["help"]
    await tg_bot.delete_my_commands(language_code="uk")
    assert await tg_bot.get_my_commands(language_code="uk") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await tg_bot.set_my_commands([BotCommand(command="Bad-Command", description="x")])
    assert await tg_bot.set_chat_menu_button()
    assert await tg_bot.send_chat_action(USER_ID, "typing")
    assert await bot_handle.invalid_calls() != []  # only the BOT_COMMAND_INVALID one
    assert len(await bot_handle.invalid_calls()) == 1


async def test_copy_and_reply_keyboard(tg_bot: Bot, bot_handle: BotHandle) -> None:
    from aiogram.types import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove

    user = await bot_handle.create_user(id=USER_ID)
    await user.send_text("original words", wait=False)
    copied = await tg_bot.copy_message(USER_ID, USER_ID, 1)
    assert [m.text for m in await user.chat()][-1] == "original words"
    assert copied.message_id == 2
    await tg_bot.send_message(
        USER_ID, "Share?", reply_markup=ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Yes")]])
    )
    await user.chat()
    assert user.reply_keyboard is not None
    await tg_bot.send_message(USER_ID, "Thanks", reply_markup=ReplyKeyboardRemove())
    await user.chat()
    assert user.reply_keyboard is None
