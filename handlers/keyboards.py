"""Inline keyboards. Labels come from handlers.texts; payloads from handlers.callbacks.

Each keyboard is built once per language (and arguments) and then reused: aiogram's
builder deep-copies every button, which made rebuilding the oblast keyboard on every
prompt a tenth of the bot's CPU. Keyboards are never modified after they are built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache, wraps
from typing import Any, ParamSpec

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers import texts
from handlers.callbacks import (
    SKIP_ANSWER,
    CategoryCb,
    ClearCb,
    ContactCb,
    DiscardCb,
    DoneCb,
    EditCb,
    FollowCb,
    IntroCb,
    LangCb,
    MenuCb,
    OblastCb,
    PointMenuCb,
    ProgrammeCb,
    ReasonCb,
    ResumeCb,
    ScoreCb,
    SkipCb,
    SummaryCb,
    SurveyCb,
    signed_answer,
    signed_handling,
)
from storage.catalog import Catalog
from storage.crypto import Crypto
from storage.enums import ContactMode, Language, WhatWentWrong

P = ParamSpec("P")


def per_language(build: Callable[P, InlineKeyboardMarkup]) -> Callable[P, InlineKeyboardMarkup]:
    """Reuse the keyboard built for this language and these (hashable) arguments."""

    untyped: Callable[..., InlineKeyboardMarkup] = build

    @lru_cache(maxsize=512)
    def cached(locale: str, *args: Any) -> InlineKeyboardMarkup:
        # The locale is part of the key: gettext inside ``build`` reads the current one.
        return untyped(*args)

    @wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> InlineKeyboardMarkup:
        if kwargs:
            raise TypeError("keyboards take positional arguments only, to be cached")
        return cached(get_i18n().current_locale, *args)

    return wrapper


# Alphabetical order of each language, for lists people scan by name.
_ALPHABETS = {
    "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "en": "abcdefghijklmnopqrstuvwxyz",
}


def alphabetical_key(locale: str) -> Callable[[str], list[int]]:
    order = {ch: i for i, ch in enumerate(_ALPHABETS.get(locale, _ALPHABETS["en"]))}
    return lambda name: [order.get(ch, 100 + ord(ch)) for ch in name.lower()]


def _main_menu_builder(catalog: Catalog, point: str | None = None) -> InlineKeyboardBuilder:
    """Complaints first, then one entry per sensitive category of the catalogue.
    ``point``: under a feedback point's thanks, the reports begun here carry its code."""

    def report(action: str) -> CallbackData:
        return MenuCb(action=action) if point is None else PointMenuCb(action=action, code=point)

    kb = InlineKeyboardBuilder()
    kb.button(text=_("📝 Complaint or feedback"), callback_data=report("complaint"))
    for category in catalog.sensitive:
        kb.button(text=texts.category_button(category.code), callback_data=report(category.code))
    for action, label in (
        ("rate", _("⭐ Rate our assistance")),
        ("check", _("🔎 Check my report")),
        ("language", _("🌐 Language")),
        ("about", _("🔐 Your data")),
    ):
        kb.button(text=label, callback_data=MenuCb(action=action))
    kb.adjust(*([1] * (3 + len(catalog.sensitive))), 2)
    return kb


@per_language
def main_menu(catalog: Catalog) -> InlineKeyboardMarkup:
    return _main_menu_builder(catalog).as_markup()


@per_language
def point_menu(catalog: Catalog, point: str) -> InlineKeyboardMarkup:
    """The main menu under a feedback point's thanks: a report begun here is the
    point's."""
    return _main_menu_builder(catalog, point).as_markup()


@per_language
def welcome_menu(catalog: Catalog, current: str) -> InlineKeyboardMarkup:
    """The menu under the first message, with a one-tap language row on top."""
    kb = InlineKeyboardBuilder()
    for language in Language:
        mark = "• " if language.value == current else ""
        kb.button(
            text=f"{mark}{texts.LANGUAGE_NAMES[language]}",
            callback_data=LangCb(code=language.value),
        )
    kb.adjust(3)
    kb.attach(_main_menu_builder(catalog))
    return kb.as_markup()


@per_language
def languages(current: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for language in Language:
        mark = "✅ " if language.value == current else ""
        kb.button(
            text=f"{mark}{texts.LANGUAGE_NAMES[language]}",
            callback_data=LangCb(code=language.value),
        )
    kb.adjust(1)
    return kb.as_markup()


@per_language
def back_to_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.b_menu(), callback_data=MenuCb(action="home"))
    return kb.as_markup()


@per_language
def categories(catalog: Catalog) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for category in catalog.standard:
        kb.button(
            text=texts.category_button(category.code), callback_data=CategoryCb(code=category.code)
        )
    kb.button(text=texts.b_cancel(), callback_data=DiscardCb(confirm=False))
    kb.adjust(1)
    return kb.as_markup()


@per_language
def every_category(catalog: Catalog) -> InlineKeyboardMarkup:
    """For a story told first: the complaint categories, then the sensitive ones."""
    kb = InlineKeyboardBuilder()
    for category in (*catalog.standard, *catalog.sensitive):
        kb.button(
            text=texts.category_button(category.code), callback_data=CategoryCb(code=category.code)
        )
    # Someone answering us, or adding to what they reported, often just writes.
    kb.button(text=_("📎 Add to an earlier report"), callback_data=FollowCb(action="earlier"))
    kb.button(text=texts.b_cancel(), callback_data=DiscardCb(confirm=False))
    kb.adjust(1)
    return kb.as_markup()


@per_language
def sensitive_intro() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.b_continue(), callback_data=IntroCb(go=True))
    kb.button(text=texts.b_back(), callback_data=IntroCb(go=False))
    kb.adjust(1)
    return kb.as_markup()


@per_language
def programmes(catalog: Catalog, locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for programme in catalog.programmes:
        kb.button(text=programme.name(locale), callback_data=ProgrammeCb(code=programme.code))
    kb.button(text=texts.not_sure(), callback_data=ProgrammeCb(code="-"))
    kb.button(text=texts.b_cancel(), callback_data=DiscardCb(confirm=False))
    kb.adjust(1)
    return kb.as_markup()


@per_language
def oblasts(catalog: Catalog, locale: str) -> InlineKeyboardMarkup:
    by_name = alphabetical_key(locale)
    regions = sorted(catalog.regions, key=lambda o: by_name(o.button_name(locale)))
    kb = InlineKeyboardBuilder()
    for oblast in regions:
        kb.button(text=oblast.button_name(locale), callback_data=OblastCb(code=oblast.code))
    tail = InlineKeyboardBuilder()
    for oblast in catalog.other_places:
        tail.button(text=oblast.button_name(locale), callback_data=OblastCb(code=oblast.code))
    tail.button(text=texts.b_cancel(), callback_data=DiscardCb(confirm=False))
    kb.adjust(2)
    tail.adjust(2, 1)
    kb.attach(tail)
    return kb.as_markup()


@per_language
def done(flow: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.b_done(), callback_data=DoneCb(flow=flow))
    kb.button(text=texts.b_cancel(), callback_data=DiscardCb(confirm=False))
    kb.adjust(2)
    return kb.as_markup()


@per_language
def contact_modes() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🔒 Anonymous"), callback_data=ContactCb(mode=ContactMode.ANONYMOUS.value))
    kb.button(text=_("💬 Reply in this chat"), callback_data=ContactCb(mode=ContactMode.CHAT.value))
    kb.button(text=_("📞 Phone or e-mail"), callback_data=ContactCb(mode=ContactMode.TYPED.value))
    kb.button(text=texts.b_cancel(), callback_data=DiscardCb(confirm=False))
    kb.adjust(1)
    return kb.as_markup()


@per_language
def typed_contact() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("🔒 Stay anonymous instead"),
        callback_data=ContactCb(mode=ContactMode.ANONYMOUS.value),
    )
    kb.adjust(1)
    return kb.as_markup()


@per_language
def summary() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Send"), callback_data=SummaryCb(action="send"))
    kb.button(text=_("✏️ Change"), callback_data=SummaryCb(action="edit"))
    kb.button(text=_("🗑 Discard"), callback_data=SummaryCb(action="discard"))
    kb.adjust(1, 2)
    return kb.as_markup()


@per_language
def edit_fields() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for field, label in (
        ("add", _("➕ Add to the description")),
        ("rewrite", _("📝 Write the description again")),
        ("programme", _("Assistance")),
        ("oblast", _("Place")),
        ("contact", _("Contact")),
        ("back", texts.b_back()),
    ):
        kb.button(text=label, callback_data=EditCb(field=field))
    kb.adjust(1, 1, 3, 1)
    return kb.as_markup()


@per_language
def confirm_discard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🗑 Yes, delete it"), callback_data=DiscardCb(confirm=True))
    kb.button(text=_("↩️ No, continue"), callback_data=ResumeCb(go=True))
    kb.adjust(1)
    return kb.as_markup()


@per_language
def resume_or_discard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("↩️ Continue the draft"), callback_data=ResumeCb(go=True))
    kb.button(text=_("🗑 Delete it, open the menu"), callback_data=ResumeCb(go=False))
    kb.adjust(1)
    return kb.as_markup()


def after_receipt(since: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🧹 Clear this conversation"), callback_data=ClearCb(keep=True, since=since))
    kb.button(text=texts.b_menu(), callback_data=MenuCb(action="home"))
    kb.adjust(1)
    return kb.as_markup()


@per_language
def report_view(accepts_additions: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if accepts_additions:
        kb.button(text=_("➕ Add information"), callback_data=FollowCb(action="add"))
    kb.button(text=_("🧹 Clear this conversation"), callback_data=ClearCb(keep=False))
    kb.button(text=texts.b_menu(), callback_data=MenuCb(action="home"))
    kb.adjust(1)
    return kb.as_markup()


@per_language
def clear_or_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🧹 Clear this conversation"), callback_data=ClearCb(keep=False))
    kb.button(text=texts.b_menu(), callback_data=MenuCb(action="home"))
    kb.adjust(1)
    return kb.as_markup()


@per_language
def cancel_only() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.b_cancel(), callback_data=DiscardCb(confirm=False))
    return kb.as_markup()


def _score_buttons(payload: Callable[[int], CallbackData]) -> InlineKeyboardBuilder:
    """Five labelled faces, best first: the same scale wherever satisfaction is asked."""
    kb = InlineKeyboardBuilder()
    for score in (5, 4, 3, 2, 1):
        kb.button(
            text=f"{texts.SCORE_FACES[score]} {texts.SCORE_LABELS[score]}",
            callback_data=payload(score),
        )
    return kb


@per_language
def scores() -> InlineKeyboardMarkup:
    kb = _score_buttons(lambda score: ScoreCb(score=score))
    kb.button(text=texts.b_cancel(), callback_data=DiscardCb(confirm=False))
    kb.adjust(1)
    return kb.as_markup()


def reasons(selected: Iterable[str]) -> InlineKeyboardMarkup:
    return _reasons(frozenset(selected))


@per_language
def _reasons(chosen: frozenset[str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for reason in WhatWentWrong:
        mark = "✅ " if reason.value in chosen else "▫️ "
        kb.button(
            text=f"{mark}{texts.REASON_LABELS[reason]}", callback_data=ReasonCb(code=reason.value)
        )
    # Not "✅ Done": beside options ticked with ✅ it would read as one more option.
    kb.button(text=texts.b_continue(), callback_data=ReasonCb(code="done"))
    kb.adjust(1)
    return kb.as_markup()


@per_language
def skip() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.b_skip(), callback_data=SkipCb())
    return kb.as_markup()


def reply_to_this(outbox_id: int, chat_id: int, crypto: Crypto) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("↩️ Reply to this"), callback_data=signed_answer(crypto, chat_id, outbox_id))
    return kb.as_markup()


def handling_scores(outbox_id: int, chat_id: int, crypto: Crypto) -> InlineKeyboardMarkup:
    kb = _score_buttons(lambda score: signed_handling(crypto, chat_id, outbox_id, score))
    kb.adjust(1)
    return kb.as_markup()


def survey_answers(
    index: int, options: Sequence[tuple[int, str]], *, row: int, skippable: bool
) -> InlineKeyboardMarkup:
    """A survey question's buttons: its options (the answer's value and label), ``row``
    to a row, and «Skip» when it may be left out. Not cached: the labels are the
    survey's, written by the M&E unit, not the catalogs'."""
    kb = InlineKeyboardBuilder()
    for value, label in options:
        kb.button(text=label, callback_data=SurveyCb(q=index, a=value))
    sizes = [row] * (len(options) // row) + ([len(options) % row] if len(options) % row else [])
    if skippable:
        kb.button(text=texts.b_skip(), callback_data=SurveyCb(q=index, a=SKIP_ANSWER))
        sizes.append(1)
    kb.adjust(*sizes)
    return kb.as_markup()
