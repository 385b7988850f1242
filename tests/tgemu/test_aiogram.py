"""A real aiogram Bot, over real HTTP, against the emulator."""

from __future__ import annotations

import asyncio

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from tgemu import BotHandle

USER_ID = 6001


def menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Report a problem", callback_data="report")],
            [InlineKeyboardButton(text="Rate us", callback_data="rate")],
        ]
    )


async def test_get_me(tg_bot: Bot, token: str) -> None:
    me = await tg_bot.get_me()
    assert me.id == int(token.split(":")[0])
    assert me.is_bot is True


async def test_round_trip_with_get_updates(tg_bot: Bot, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=USER_ID, first_name="Olena", language_code="uk")
    await user.send_text("Hello", wait=False)

    updates = await tg_bot.get_updates(timeout=5)
    assert len(updates) == 1
    incoming = updates[0].message
    assert incoming is not None and incoming.text == "Hello"
    assert incoming.from_user is not None and incoming.from_user.language_code == "uk"

    sent = await tg_bot.send_message(
        USER_ID, "<b>Welcome</b> to Holos", parse_mode="HTML", reply_markup=menu()
    )
    assert sent.text == "Welcome to Holos"
    chat = await user.chat()
    assert chat[-1].text == "Welcome to Holos"
    assert chat[-1].raw_text == "<b>Welcome</b> to Holos"
    assert chat[-1].button_labels == ["Report a problem", "Rate us"]

    await user.press("Rate us", wait=False)
    updates = await tg_bot.get_updates(offset=updates[-1].update_id + 1, timeout=5)
    query = updates[0].callback_query
    assert query is not None and query.data == "rate"
    assert query.message is not None and query.message.message_id == sent.message_id

    assert await tg_bot.answer_callback_query(query.id, text="Thanks!", show_alert=True)
    await user.chat()
    assert user.callback_answers[-1]["text"] == "Thanks!"
    assert user.callback_answers[-1]["show_alert"] is True

    edited = await tg_bot.edit_message_text(
        "How satisfied are you?", chat_id=USER_ID, message_id=sent.message_id
    )
    assert not isinstance(edited, bool) and edited.edit_date is not None
    shown = (await user.chat())[-1]
    assert shown.text == "How satisfied are you?"
    assert shown.buttons == ()  # editing without reply_markup removes the keyboard

    assert await tg_bot.delete_message(USER_ID, sent.message_id)
    assert [m.message_id for m in await user.chat()] == [incoming.message_id]
    assert await bot_handle.invalid_calls() == []


async def test_dispatcher_conversation(tg_bot: Bot, bot_handle: BotHandle) -> None:
    """A polling Dispatcher and a user whose helpers wait for the bot's replies."""
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Choose:", reply_markup=menu())

    @router.callback_query(F.data == "report")
    async def report(callback: CallbackQuery) -> None:
        await callback.answer("Noted")
        assert isinstance(callback.message, Message)
        await callback.message.edit_text("Describe the problem, please.")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"Received: {message.text}")

    @router.edited_message(F.text)
    async def edited(message: Message) -> None:
        await message.answer(f"Now it says: {message.text}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(tg_bot, handle_signals=False, polling_timeout=1)
    )
    try:
        user = await bot_handle.create_user(id=USER_ID + 1, first_name="Petro")
        replies = await user.send_text("/start")
        assert [m.text for m in replies] == ["Choose:"]
        assert replies[0].button_labels == ["Report a problem", "Rate us"]

        replies = await user.press("Report a problem")
        assert replies.text == "Describe the problem, please."
        assert replies.callback_answers[0]["text"] == "Noted"
        assert user.last_bot_message() is not None
        assert user.last_bot_message().text == "Describe the problem, please."

        replies = await user.send_text("The queue was too long")
        assert replies.text == "Received: The queue was too long"
        await user.expect_no_reply(within=0.3)

        await user.edit(replies[0].message_id - 1, "edited text", wait=False)
        answer = await user.wait_for(lambda m: m.body == "Now it says: edited text")
        assert answer.from_bot
    finally:
        await dispatcher.stop_polling()
        await polling
    assert await bot_handle.invalid_calls() == []
