"""First contact, the main menu, and what works at any moment: language, help, privacy,
cancel. None of these loses a draft."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from handlers import flow, keyboards, texts
from handlers.callbacks import DiscardCb, LangCb, MenuCb, PointMenuCb, ResumeCb
from handlers.feedback import POINT_PREFIX, open_point
from handlers.followup import begin_followup
from handlers.rating import begin_rating
from handlers.report import begin_report, discard_draft
from handlers.routes import Routes
from storage.core import Core
from storage.enums import Language
from storage.services.alerts import LINK_PREFIX, AlertSettingsService, LinkOutcome
from storage.uow import UnitOfWork

router = Routes("start")


async def _guard_draft(event: Message | CallbackQuery, state: FSMContext) -> bool:
    """If a draft is in progress, ask before leaving it; True when we asked."""
    if flow.has_draft(await flow.draft(state), await state.get_state()):
        await flow.show(
            event, state, texts.resume_or_discard(), keyboards.resume_or_discard(), edit=False
        )
        return True
    return False


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(LINK_PREFIX)))
async def on_staff_link(
    message: Message, core: Core, uow: UnitOfWork, command: CommandObject
) -> None:
    """A staff member linking their own Telegram for alerts (the link from their console
    account page). No draft starts and the conversation's state is left as it was; a
    wrong, used or expired code is refused."""
    outcome = LinkOutcome.WRONG
    if message.chat.type == "private" and command.args:
        outcome = await AlertSettingsService(uow.session, core).redeem_link_code(
            command.args, message.chat.id
        )
        await uow.commit_before_reply()
    await message.answer(texts.staff_link_answer(outcome.value))


@router.message(CommandStart(deep_link=True, magic=F.args.lower().startswith(POINT_PREFIX)))
async def on_point_link(
    message: Message, state: FSMContext, core: Core, locale: str, command: CommandObject
) -> None:
    """A feedback point's poster (its QR code or link): the point's questions, with its
    programme and oblast set (handlers.feedback)."""
    # Any case: a code copied from the poster's caption may come in capitals.
    code = (command.args or "")[len(POINT_PREFIX) :]
    await open_point(message, state, core, locale, code)


@router.message(CommandStart())
async def on_start(message: Message, state: FSMContext, core: Core, locale: str) -> None:
    await flow.remember(state, message.message_id)
    if await _guard_draft(message, state):
        return
    await flow.end_flow(state)
    await flow.show_welcome(message, state, core, locale)


@router.message(Command("menu"))
async def on_menu(message: Message, state: FSMContext, core: Core) -> None:
    await flow.remember(state, message.message_id)
    if await _guard_draft(message, state):
        return
    await flow.end_flow(state)
    await flow.show_menu(message, state, core)


@router.message(Command("status"))
async def on_status(message: Message, state: FSMContext, core: Core) -> None:
    await flow.remember(state, message.message_id)
    if await _guard_draft(message, state):
        return
    await begin_followup(message, state, core)


@router.message(Command("language"))
async def on_language(message: Message, state: FSMContext, locale: str) -> None:
    await flow.remember(state, message.message_id)
    await flow.say(message, state, texts.choose_language(), keyboards.languages(locale))


@router.message(Command("help"))
async def on_help(message: Message, state: FSMContext, core: Core) -> None:
    await flow.remember(state, message.message_id)
    await flow.say(message, state, texts.help_text(core.settings))
    if not await flow.reprompt(message, state, core):
        await flow.show_menu(message, state, core)


@router.message(Command("privacy"))
async def on_privacy(message: Message, state: FSMContext, core: Core) -> None:
    await flow.remember(state, message.message_id)
    await flow.say(message, state, texts.privacy_text(core.settings))
    if not await flow.reprompt(message, state, core):
        await flow.show_menu(message, state, core)


@router.message(Command("cancel"))
async def on_cancel(message: Message, state: FSMContext, core: Core) -> None:
    await flow.remember(state, message.message_id)
    if flow.has_draft(await flow.draft(state), await state.get_state()):
        await flow.show(
            message, state, texts.confirm_discard(), keyboards.confirm_discard(), edit=False
        )
        return
    await flow.end_flow(state)
    await flow.show_menu(message, state, core)


# Buttons that work anywhere ------------------------------------------------------------


@router.callback_query(LangCb.filter(F.code.in_({lang.value for lang in Language})))
async def on_language_chosen(
    callback: CallbackQuery,
    callback_data: LangCb,
    state: FSMContext,
    core: Core,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    data = await flow.draft(state)
    data.locale = callback_data.code
    await flow.save(state, data)
    # Speak the new language from this very answer on.
    i18n.current_locale = callback_data.code
    callback_answer.text = texts.language_set()
    current = await state.get_state()
    if current and await flow.reprompt(callback, state, core):
        return
    message = flow.message_of(callback)
    data = await flow.draft(state)
    if message is not None and message.message_id == data.prompt_id and not current:
        # The language row sits on the welcome message: redraw it in the new language.
        await flow.show_welcome(callback, state, core, callback_data.code, redraw=True)
        return
    await flow.show_menu(callback, state, core)


async def _pressed_on_old_menu(
    callback: CallbackQuery, state: FSMContext, core: Core, callback_answer: CallbackAnswer
) -> bool:
    """A menu left over from before the current step never takes the person out of a
    flow: it answers as a stale button and shows the current step again."""
    if await state.get_state() and not flow.is_live(callback, await flow.draft(state)):
        await flow.stale_button(callback, state, core, callback_answer)
        return True
    return False


@router.callback_query(MenuCb.filter(F.action == "home"))
async def on_home(
    callback: CallbackQuery, state: FSMContext, core: Core, callback_answer: CallbackAnswer
) -> None:
    if await _pressed_on_old_menu(callback, state, core, callback_answer):
        return
    if await _guard_draft(callback, state):
        return
    data = await flow.draft(state)
    pressed = flow.message_of(callback)
    if pressed is not None and data.prompt_id is None:
        # The last message of a finished flow (a receipt, a thank-you): its state is
        # gone, so nothing recorded its buttons as live. They go now, as with a step.
        await flow.strip_keyboard(pressed, pressed.message_id)
    # Keep the trace: the "clear this conversation" button may still be pressed. The
    # menu comes as a new message: what the button was under (a report's answers, a
    # thank-you) stays readable.
    await flow.end_flow(state, trace=data.trace or None)
    await flow.show_menu(callback, state, core, edit=False)


@router.callback_query(MenuCb.filter())
async def on_menu_choice(
    callback: CallbackQuery,
    callback_data: MenuCb,
    state: FSMContext,
    core: Core,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    if await _pressed_on_old_menu(callback, state, core, callback_answer):
        return
    action = callback_data.action
    if action == "language":
        await flow.show(callback, state, texts.choose_language(), keyboards.languages(locale))
        return
    if action == "about":
        await flow.show(
            callback,
            state,
            texts.privacy_text(core.settings),
            keyboards.back_to_menu(),
            protect=True,
        )
        return
    if await _guard_draft(callback, state):
        return
    if action == "complaint":
        await begin_report(callback, state, core, category=None)
    elif action in core.catalog.sensitive_codes:
        await begin_report(callback, state, core, category=action)
    elif action == "rate":
        await begin_rating(callback, state, core)
    elif action == "check":
        await begin_followup(callback, state, core)
    else:
        await flow.show_menu(callback, state, core)


@router.callback_query(PointMenuCb.filter())
async def on_point_menu_choice(
    callback: CallbackQuery,
    callback_data: PointMenuCb,
    state: FSMContext,
    core: Core,
    callback_answer: CallbackAnswer,
) -> None:
    """A report begun from the menu under a feedback point's thanks: the point's."""
    if await _pressed_on_old_menu(callback, state, core, callback_answer):
        return
    if await _guard_draft(callback, state):
        return
    action = callback_data.action
    if action == "complaint":
        category = None
    elif action in core.catalog.sensitive_codes:
        category = action
    else:
        await flow.stale_button(callback, state, core, callback_answer)
        return
    await begin_report(callback, state, core, category=category, feedback_point=callback_data.code)


@router.callback_query(ResumeCb.filter())
async def on_resume(
    callback: CallbackQuery, callback_data: ResumeCb, state: FSMContext, core: Core
) -> None:
    if callback_data.go and await flow.reprompt(callback, state, core):
        return
    await discard_draft(state, core)
    await flow.show_menu(callback, state, core)


@router.callback_query(DiscardCb.filter())
async def on_discard(
    callback: CallbackQuery,
    callback_data: DiscardCb,
    state: FSMContext,
    core: Core,
    callback_answer: CallbackAnswer,
) -> None:
    if not callback_data.confirm and flow.has_draft(
        await flow.draft(state), await state.get_state()
    ):
        await flow.show(callback, state, texts.confirm_discard(), keyboards.confirm_discard())
        return
    if callback_data.confirm and not await state.get_state():
        callback_answer.text = texts.button_expired()
        await flow.show_menu(callback, state, core)
        return
    await discard_draft(state, core)
    callback_answer.text = texts.discarded() if callback_data.confirm else None
    if callback_data.confirm:
        await flow.say(callback, state, texts.discarded())
    await flow.show_menu(callback, state, core)
