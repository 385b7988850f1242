"""Helpers that let a test talk to the bot in any of its languages.

Labels are looked up in the compiled catalogs, so one test drives the same flow in
uk, ru and en while asserting exactly what the person sees.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import select

from bot.runtime import BotRuntime
from locales.build import LOCALES_DIR, compile_catalogs
from storage.catalog import load_oblasts
from storage.core import Core
from storage.models import Case
from tests.harness import bot_idle
from tgemu import BotHandle, Replies, SimulatedUser

RECEIPT = re.compile(r"\b(\d{4} \d{4} \d{4} \d{4})\b")

compile_catalogs()


@cache
def catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation("messages", localedir=str(LOCALES_DIR), languages=[language])


def tr(language: str, msgid: str, **values: Any) -> str:
    text = catalog(language).gettext(msgid)
    return text.format(**values) if values else text


def oblast_label(code: str, language: str) -> str:
    return next(o for o in load_oblasts() if o.code == code).button_name(language)


CATEGORY_LABELS = {
    "assistance_quality": "Quality or quantity of assistance",
    "selection_process": "Selection or registration",
    "staff_conduct": "Behaviour of staff or partners",
    "information_request": "I need information",
    "assistance_request": "I need assistance",
    "suggestion": "A suggestion or thanks",
}
SENSITIVE_MENU = {
    "fraud_corruption": "💰 Fraud or corruption",
    "sexual_exploitation": "🛡 Sexual exploitation and abuse",
    "trafficking": "🧳 Trafficking or labour exploitation",
}
PROGRAMME_LABELS = {
    "cash": {"en": "Cash assistance", "uk": "Грошова допомога", "ru": "Денежная помощь"},
    "food": {"en": "Food assistance", "uk": "Продуктова допомога", "ru": "Продуктовая помощь"},
}


class Talk:
    """A simulated beneficiary who speaks one language."""

    def __init__(self, user: SimulatedUser, language: str) -> None:
        self.user = user
        self.language = language

    def t(self, msgid: str, **values: Any) -> str:
        return tr(self.language, msgid, **values)

    async def tap(self, msgid: str, **kwargs: Any) -> Replies:
        return await self.user.press(self.t(msgid), **kwargs)

    async def say(self, text: str) -> Replies:
        return await self.user.send_text(text)

    async def command(self, name: str) -> Replies:
        return await self.user.send_text(f"/{name}")

    async def open_report(
        self, category: str, *, programme: str | None = "food", oblast: str = "UA-63"
    ) -> Replies:
        """From /start to the description step."""
        await self.command("start")
        if category in SENSITIVE_MENU:
            await self.tap(SENSITIVE_MENU[category])
            replies = await self.tap("Continue »")
        else:
            await self.tap("📝 Complaint or feedback")
            replies = await self.tap(CATEGORY_LABELS[category])
        if programme is None:
            replies = await self.tap("Not sure / other")
        else:
            replies = await self.user.press(PROGRAMME_LABELS[programme][self.language])
        replies = await self.user.press(oblast_label(oblast, self.language))
        return replies

    async def file_report(
        self,
        category: str = "assistance_quality",
        *,
        parts: Sequence[str] = ("Нам видали лише половину набору.",),
        programme: str | None = "food",
        oblast: str = "UA-63",
        contact: str = "🔒 Anonymous",
        typed_contact: str | None = None,
    ) -> str:
        """A whole report; returns the receipt code as shown (four groups)."""
        await self.open_report(category, programme=programme, oblast=oblast)
        for part in parts:
            await self.say(part)
        await self.tap("✅ Done")
        await self.tap(contact)
        if typed_contact is not None:
            await self.say(typed_contact)
        replies = await self.tap("✅ Send")
        return receipt_in(replies.last.text or "")


def receipt_in(text: str) -> str:
    match = RECEIPT.search(text)
    assert match, f"no receipt code in {text!r}"
    return match.group(1)


async def stored_cases(core: Core) -> list[Case]:
    async with core.database.transaction() as session:
        return list((await session.scalars(select(Case).order_by(Case.id))).all())


async def settled(runtime: BotRuntime, tg: BotHandle) -> None:
    """Wait until every update sent so far has been fetched and fully handled."""
    await bot_idle([runtime], tg)
