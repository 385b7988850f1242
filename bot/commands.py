"""The command menu Telegram shows, in each language (setMyCommands)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import lazy_gettext as __

from storage.enums import Language

COMMANDS = (
    ("start", __("Start again")),
    ("menu", __("Main menu")),
    ("status", __("Check my report")),
    ("language", __("Change the language")),
    ("privacy", __("About and privacy")),
    ("cancel", __("Stop and discard the draft")),
    ("help", __("Help")),
)


async def register_commands(bot: Bot, i18n: I18n, default: Language) -> None:
    for language in Language:
        await bot.set_my_commands(_commands(i18n, language), language_code=language.value)
    # Clients whose language is none of ours get the default language.
    await bot.set_my_commands(_commands(i18n, default))


def _commands(i18n: I18n, language: Language) -> list[BotCommand]:
    with i18n.context(), i18n.use_locale(language.value):
        return [BotCommand(command=name, description=str(text)) for name, text in COMMANDS]
