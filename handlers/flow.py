"""What every flow shares: showing a step, re-showing it after an interruption, the
draft's bookkeeping, and the trace of messages that "clear this conversation" deletes.

Every call to Telegram here, and in the handlers, comes right after the named step
:func:`commit_before_reply`: what the update wrote is committed first (storage.uow).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import get_i18n

from handlers import gather, keyboards, texts
from storage.core import Core
from storage.draft import Draft, Flow
from storage.uow import UnitOfWork

log = logging.getLogger("holos.bot.flow")

Event = Message | CallbackQuery
Prompt = Callable[[Event, FSMContext, Core], Awaitable[None]]

MAX_TRACE = 400

_prompts: dict[str, Prompt] = {}


class IncompleteDraft(Exception):
    """A step that needs a field the draft lacks (a button pressed out of order): the
    error handler tells the person their draft is safe."""


def prompt_for(*states: State) -> Callable[[Prompt], Prompt]:
    """Register how to (re)show a step, so an interruption can come back to it."""

    def register(fn: Prompt) -> Prompt:
        for state in states:
            _prompts[state.state or ""] = fn
        return fn

    return register


async def reprompt(event: Event, state: FSMContext, core: Core) -> bool:
    """Show the current step again; ``False`` when there is no flow in progress."""
    current = await state.get_state()
    fn = _prompts.get(current or "")
    if fn is None:
        return False
    await fn(event, state, core)
    return True


async def commit_before_reply() -> None:
    """The named step before any call to Telegram: commit what this update has written,
    so what the person reads next is durable and no lock is held while Telegram answers
    (storage.uow.UnitOfWork.commit_before_reply says why)."""
    uow = UnitOfWork.current()
    if uow is not None:
        await uow.commit_before_reply()


async def draft(state: FSMContext) -> Draft:
    """This conversation's draft (storage.draft), typed; change it, then :func:`save`."""
    return Draft.load(await state.get_data())


async def save(state: FSMContext, draft: Draft) -> None:
    """Keep the draft (written with the update's next commit, see bot.fsm)."""
    await state.set_data(draft.dump())


def current_locale() -> str:
    """The language this update speaks (set by the locale middleware)."""
    return get_i18n().current_locale


def message_of(event: Event) -> Message | None:
    if isinstance(event, CallbackQuery):
        return event.message if isinstance(event.message, Message) else None
    return event


async def show(
    event: Event,
    state: FSMContext,
    text: str | list[str],
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = True,
    track: bool = True,
    protect: bool = False,
    redraw: bool = False,
) -> Message | None:
    """Show a step: a step answered by a button edits that message into the next one
    (one call); after something the person sent, the step comes as a new message below
    it, and the previous step loses its buttons if it still has live ones.

    ``protect``: this message carries what must stay readable (the privacy notice,
    referral lines, the voice notice): it is never edited into another step, only
    ``redraw``n as itself (the welcome in another language). ``track=False`` for the
    last word of a finished flow (the thanks): its state is gone and stays gone; its
    buttons go when one of them is pressed (start.on_home)."""
    chunks = text if isinstance(text, list) else [text]
    captured = _capture.get()
    if captured is not None:
        captured.append(Screen(chunks, markup, protect))
        return None
    data = await draft(state)
    prompt_id = data.prompt_id
    target = message_of(event)
    if target is None:
        return None
    gatherer = gather.current()
    if gatherer is not None:
        await gatherer.interrupt(target.bot, target.chat.id)
    protected = target.message_id in data.protected
    if (
        isinstance(event, CallbackQuery)
        and edit
        and len(chunks) == 1
        and prompt_id == target.message_id
        and (redraw or not protected)
    ):
        before = data.model_copy(deep=True)
        data.bare = markup is None
        data.protected = _protect(data, target.message_id, protect)
        data.answer_id = None
        await save(state, data)
        edited = True
        try:
            await commit_before_reply()
            await target.edit_text(chunks[0], reply_markup=markup)
        except TelegramBadRequest as exc:
            # Deleted by the person, say: then the step comes as a new message.
            edited = "not modified" in str(exc)
        if edited:
            await _strip_others(target, before, keep=target.message_id)
            return target
        data = before
    await _strip_others(target, data, keep=None)
    sent: Message | None = None
    for i, chunk in enumerate(chunks):
        await commit_before_reply()
        sent = await target.answer(chunk, reply_markup=markup if i == len(chunks) - 1 else None)
        await remember(state, sent.message_id)
    if sent is not None and track:
        data = await draft(state)
        data.prompt_id, data.live = sent.message_id, []
        data.bare = markup is None
        data.protected = _protect(data, sent.message_id, protect)
        data.answer_id = None
        await save(state, data)
    return sent


def _protect(data: Draft, message_id: int, protect: bool) -> list[int]:
    kept = [m for m in data.protected if m != message_id]
    return [*kept, message_id][-20:] if protect else kept


async def _strip_others(target: Message, data: Draft, keep: int | None) -> None:
    """Take the buttons off the previous step and off notices that carried some; a step
    shown without buttons (``bare``) has none to take off."""
    prompt_id = None if data.bare else data.prompt_id
    for message_id in {prompt_id, *data.live}:
        if message_id and message_id != keep:
            await strip_keyboard(target, message_id)


@dataclass
class Screen:
    """A step as it would be shown (see :func:`render`)."""

    chunks: list[str]
    markup: InlineKeyboardMarkup | None
    protect: bool


_capture: ContextVar[list[Screen] | None] = ContextVar("holos_flow_capture", default=None)


async def render(event: Event, state: FSMContext, core: Core) -> Screen | None:
    """The current step as :func:`reprompt` would show it, without showing it."""
    screens: list[Screen] = []
    token = _capture.set(screens)
    try:
        if not await reprompt(event, state, core):
            return None
    finally:
        _capture.reset(token)
    return screens[-1] if screens else None


async def say(
    event: Event, state: FSMContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """A message that is not a step (a notice, a warning): traced, but not the prompt.
    If it has buttons, they go when the next step is shown."""
    target = message_of(event)
    if target is None:
        return None
    gatherer = gather.current()
    if gatherer is not None:
        await gatherer.interrupt(target.bot, target.chat.id)
    await commit_before_reply()
    sent = await target.answer(text, reply_markup=markup)
    await remember(state, sent.message_id)
    if markup is not None:
        data = await draft(state)
        data.live = [*data.live, sent.message_id][-20:]
        await save(state, data)
    return sent


async def strip_keyboard(target: Message, message_id: int | None) -> None:
    if not message_id or target.bot is None:
        return
    # Already gone or already bare: nothing to strip.
    await commit_before_reply()
    with suppress(TelegramBadRequest, TelegramForbiddenError):
        await target.bot.edit_message_reply_markup(
            chat_id=target.chat.id, message_id=message_id, reply_markup=None
        )


async def remember(state: FSMContext, *message_ids: int) -> None:
    """Add messages to the trace that "clear this conversation" will delete."""
    data = await draft(state)
    if data.trace is None:
        return
    data.trace = [*data.trace, *message_ids][-MAX_TRACE:]
    await save(state, data)


async def start_flow(
    event: Event,
    state: FSMContext,
    flow: Flow,
    first: State,
    *,
    category: str | None = None,
    from_text: bool = False,
    feedback_point: str | None = None,
) -> None:
    """Begin a flow with a fresh draft; the language (and nothing else) carries over.
    ``feedback_point``: the flow is that point's (handlers.feedback).

    A flow started from a button adopts that message: it becomes the first step, so
    "clear this conversation" must delete it too."""
    fresh = (await draft(state)).kept()
    pressed = message_of(event) if isinstance(event, CallbackQuery) else None
    fresh.flow = flow
    fresh.trace = [pressed.message_id] if pressed is not None else []
    fresh.category = category
    fresh.from_text = from_text
    fresh.feedback_point = feedback_point
    await save(state, fresh)
    await state.set_state(first)


async def end_flow(state: FSMContext, *, trace: list[int] | None = None) -> None:
    """Drop the draft; keep the language and, when the caller passes it, the trace."""
    kept = (await draft(state)).kept()
    kept.trace = trace
    await state.set_state(None)
    await save(state, kept)


async def finish(state: FSMContext) -> None:
    """End a flow and delete its state outright: after a report is stored, a rating
    saved or a draft discarded, no row or key of this conversation is left whose time
    could be set beside the case's (issue 10, "no timing trail"). The language is kept
    apart (storage.services.conversation) and still applies."""
    await state.clear()


def is_live(callback: CallbackQuery, data: Draft) -> bool:
    """Whether the pressed button sits on the step now shown (not on an old menu)."""
    pressed = message_of(callback)
    return pressed is not None and pressed.message_id == data.prompt_id


def has_draft(data: Draft, current: str | None) -> bool:
    """A flow with something the person would mind losing."""
    return bool(current) and data.worth_keeping


async def show_menu(event: Event, state: FSMContext, core: Core, *, edit: bool = True) -> None:
    await show(event, state, texts.menu_prompt(), keyboards.main_menu(core.catalog), edit=edit)


async def show_welcome(
    event: Event, state: FSMContext, core: Core, locale: str, *, redraw: bool = False
) -> None:
    # The privacy notice stays readable: the welcome is redrawn (another language), never
    # edited into a step.
    await show(
        event,
        state,
        texts.welcome(core.settings),
        keyboards.welcome_menu(core.catalog, locale),
        protect=True,
        redraw=redraw,
    )


async def stale_button(
    callback: CallbackQuery, state: FSMContext, core: Core, callback_answer: CallbackAnswer
) -> None:
    """A button from an old or foreign message, or one carrying a code we do not know."""
    callback_answer.text = texts.button_expired()
    pressed = message_of(callback)
    if pressed is not None and pressed.message_id == (await draft(state)).prompt_id:
        return  # the current step is what the person is looking at already
    if not await reprompt(callback, state, core):
        await show_menu(callback, state, core)
