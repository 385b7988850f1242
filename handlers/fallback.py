"""Bad input never loses a draft. Whatever reaches here gets a short,
polite answer in the person's language and the current step again."""

from __future__ import annotations

import logging
import traceback

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import flow, texts
from handlers.freetext import KEEPING_STEPS
from handlers.routes import Routes
from handlers.states import FollowUp, Rate
from storage.core import Core

log = logging.getLogger("holos.bot")

router = Routes("fallback")

# Steps answered with buttons: typed text there gets "please use the buttons".
BUTTON_STEPS = (
    *KEEPING_STEPS,
    FollowUp.viewing,
    Rate.programme,
    Rate.score,
    Rate.reasons,
)


async def _answer_and_reprompt(message: Message, state: FSMContext, core: Core, text: str) -> None:
    await flow.remember(state, message.message_id)
    await flow.say(message, state, text)
    if not await flow.reprompt(message, state, core):
        await flow.show_menu(message, state, core)


@router.edited_message()
async def on_edited(message: Message, state: FSMContext) -> None:
    await flow.say(message, state, texts.edited_message())


@router.message(F.location | F.venue)
async def on_location(message: Message, state: FSMContext, core: Core) -> None:
    await _answer_and_reprompt(message, state, core, texts.no_locations())


@router.message(F.contact)
async def on_contact(message: Message, state: FSMContext, core: Core) -> None:
    await _answer_and_reprompt(message, state, core, texts.no_contacts())


@router.message(F.video | F.video_note)
async def on_video(message: Message, state: FSMContext, core: Core) -> None:
    await _answer_and_reprompt(message, state, core, texts.no_videos())


@router.message(StateFilter(*BUTTON_STEPS), F.text & ~F.text.startswith("/"))
async def on_text_instead_of_button(message: Message, state: FSMContext, core: Core) -> None:
    await _answer_and_reprompt(message, state, core, texts.use_buttons())


@router.message(F.text)
async def on_unknown_command(message: Message, state: FSMContext, core: Core) -> None:
    await _answer_and_reprompt(message, state, core, texts.not_understood())


@router.message()
async def on_unsupported(message: Message, state: FSMContext, core: Core) -> None:
    # Stickers, GIFs, polls, dice, and anything Telegram invents next.
    await _answer_and_reprompt(message, state, core, texts.unsupported_message())


@router.callback_query()
async def on_stale_button(
    callback: CallbackQuery, state: FSMContext, core: Core, callback_answer: CallbackAnswer
) -> None:
    """A button from an old or foreign message, or one whose moment has passed."""
    await flow.stale_button(callback, state, core, callback_answer)


@router.errors()
async def on_error(event: ErrorEvent) -> bool:
    """Log the failure without content, and tell the person their draft is safe."""
    update = event.update
    kind = update.event_type
    # Frames and the exception type, but not its message: that could quote user text.
    frames = "".join(traceback.format_tb(event.exception.__traceback__))
    log.error("update_failed type=%s error=%s\n%s", kind, type(event.exception).__name__, frames)
    target = update.message or (update.callback_query.message if update.callback_query else None)
    if isinstance(target, Message):
        try:
            await target.answer(texts.something_went_wrong())
        except Exception:
            log.warning("error_notice_failed")
    # A pressed button was already answered by CallbackAnswerMiddleware, even on failure.
    return True
