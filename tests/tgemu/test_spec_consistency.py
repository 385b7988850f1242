"""What the emulator sends to bots conforms to api.json, like what it accepts from them."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tgemu import BotHandle
from tgemu.spec import load_spec
from tgemu.validation import _check, _Context


def conforms(type_name: str, value: Any) -> None:
    """Raise if ``value`` has an unknown field, misses a required one or has a wrong type."""
    _check(load_spec(), (type_name,), value, "", _Context(files={}, used_files=set()))


async def test_every_update_kind_conforms(api, tg_bot: Bot, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=2001, first_name="Anna", username="anna_k")
    await user.send_text("/start", wait=False)
    await tg_bot.send_message(
        2001,
        "<b>Menu</b>",
        parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]]
        ),
    )
    await user.press("Go", wait=False)
    await user.send_callback("old", 999, inaccessible=True, wait=False)
    await user.edit(1, "/start again", wait=False)
    for send in (
        user.send_photo,
        user.send_document,
        user.send_voice,
        user.send_sticker,
        user.send_animation,
        user.send_video,
        user.send_video_note,
    ):
        await send(wait=False)
    await user.send_location(1.0, 2.0, wait=False)
    await user.send_contact("+380", wait=False)
    await user.send_poll("Q?", ["a", "b"], wait=False)
    await user.block()
    await user.unblock()
    updates = (await api("getUpdates", {})).json()["result"]
    kinds = {next(k for k in u if k != "update_id") for u in updates}
    assert kinds == {"message", "edited_message", "callback_query", "my_chat_member"}
    for update in updates:
        conforms("Update", update)


async def test_method_results_conform(api, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=2002)
    await user.send_text("hi", wait=False)
    conforms("User", (await api("getMe")).json()["result"])
    conforms("WebhookInfo", (await api("getWebhookInfo")).json()["result"])
    conforms("ChatFullInfo", (await api("getChat", {"chat_id": 2002})).json()["result"])
    sent = (await api("sendMessage", {"chat_id": 2002, "text": "x"})).json()["result"]
    conforms("Message", sent)
    conforms("MenuButton", (await api("getChatMenuButton", {})).json()["result"])
