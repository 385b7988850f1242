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

from handlers import collect, flow, texts
from handlers.freetext import KEEPING_STEPS
from handlers.routes import Routes
from handlers.states import FollowUp, Rate, Report
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


# Where the words sent with a refused file (a video's caption) join the description.
CAPTION_KEPT = (*KEEPING_STEPS, Report.description, FollowUp.adding)
BEFORE_CONTACT = (Report.category, Report.intro, Report.programme, Report.oblast)


def _step(current: str | None) -> str | None:
    """The step a refusal speaks to, in the words texts.no_* take."""
    if current in (Report.oblast.state,):
        return "oblast"
    if current in (Report.description.state, FollowUp.adding.state):
        return "description"
    if current == Report.contact.state:
        return "contact"
    if current == Report.contact_typed.state:
        return "contact_typed"
    if current is None or current in {s.state for s in BEFORE_CONTACT}:
        return "before_contact"
    return None


async def _refuse(message: Message, state: FSMContext, core: Core, refusal: str) -> None:
    """Say what was not taken and why, with the current step (and its buttons) again in
    the same message. Words sent with it (a video's caption) are kept all the same:
    they join the description, or start a report at the menu."""
    await flow.remember(state, message.message_id)
    current = await state.get_state()
    added = False
    if (message.caption or "").strip() and (
        current is None or current in {s.state for s in CAPTION_KEPT}
    ):
        if current is None:
            await flow.start_flow(message, state, "report", Report.category, from_text=True)
        added = await collect.add_caption(message, state, core)
        if not added and current is None:
            await flow.end_flow(state)
    keeping = current in {s.state for s in KEEPING_STEPS}
    await collect.answer(message, state, core, added=added, ack=keeping, refusal=refusal)


@router.edited_message()
async def on_edited(message: Message, state: FSMContext) -> None:
    await flow.say(message, state, texts.edited_message())


@router.message(F.location | F.venue)
async def on_location(message: Message, state: FSMContext, core: Core) -> None:
    await _refuse(message, state, core, texts.no_locations(_step(await state.get_state())))


@router.message(F.contact)
async def on_contact(message: Message, state: FSMContext, core: Core) -> None:
    await _refuse(message, state, core, texts.no_contacts(_step(await state.get_state())))


@router.message(F.video | F.video_note)
async def on_video(message: Message, state: FSMContext, core: Core) -> None:
    await _refuse(message, state, core, texts.no_videos())


@router.message(StateFilter(*BUTTON_STEPS), F.text & ~F.text.startswith("/"))
async def on_text_instead_of_button(message: Message, state: FSMContext, core: Core) -> None:
    await _refuse(message, state, core, texts.use_buttons())


@router.message(F.text)
async def on_unknown_command(message: Message, state: FSMContext, core: Core) -> None:
    await _refuse(message, state, core, texts.not_understood())


@router.message()
async def on_unsupported(message: Message, state: FSMContext, core: Core) -> None:
    # Stickers, GIFs, polls, dice, and anything Telegram invents next.
    await _refuse(message, state, core, texts.unsupported_message())


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
