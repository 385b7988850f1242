"""Languages of the conversation: gettext catalogs through aiogram's I18n (Babel-built).

aiogram's I18n offers gettext and ngettext; texts with a context (one English word with
two jobs) go through ``handlers.i18n.pgettext``, which reads the same loaded catalogs."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from locales.build import LOCALES_DIR, compile_catalogs
from storage.enums import Language

DOMAIN = "messages"
LOCALE_KEY = "locale"


def create_i18n(default: Language) -> I18n:
    # Compiled catalogs are build output: make sure they exist and are current, so a
    # `holos` started without `make` still speaks every language.
    compile_catalogs()
    return I18n(path=LOCALES_DIR, default_locale=default.value, domain=DOMAIN)


def guess_language(language_code: str | None, default: Language) -> Language:
    """Telegram's language_code: uk → Ukrainian, ru → Russian, another code → English, none → default."""
    if not language_code:
        return default
    primary = language_code.lower().split("-")[0].split("_")[0]
    if primary == "uk":
        return Language.UK
    if primary == "ru":
        return Language.RU
    return Language.EN


class LocaleMiddleware(I18nMiddleware):
    """The chat's chosen language (kept with its conversation state), else a guess."""

    def __init__(self, i18n: I18n, default: Language) -> None:
        super().__init__(i18n)
        self.default = default

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        state: FSMContext | None = data.get("state")
        if state is not None:
            chosen = (await state.get_data()).get(LOCALE_KEY)
            if isinstance(chosen, str) and chosen in Language._value2member_map_:
                data[LOCALE_KEY] = chosen
                return chosen
        user: User | None = data.get("event_from_user")
        guessed = guess_language(user.language_code if user else None, self.default).value
        data[LOCALE_KEY] = guessed
        return guessed
