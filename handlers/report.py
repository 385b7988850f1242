"""Report intake: category → programme → oblast → description → contact →
summary → stored → receipt code. The draft is saved after every step."""

from __future__ import annotations

import logging
from dataclasses import replace

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import collect, feedback, flow, keyboards, texts
from handlers.callbacks import (
    CategoryCb,
    ClearCb,
    ContactCb,
    DoneCb,
    EditCb,
    IntroCb,
    OblastCb,
    ProgrammeCb,
    SummaryCb,
)
from handlers.context import Outcomes, ReporterChat
from handlers.filters import Known
from handlers.routes import Routes
from handlers.states import Report
from storage.catalog import Category
from storage.contacts import normalize_contact
from storage.core import Core
from storage.crypto import format_receipt_code
from storage.draft import Draft
from storage.enums import ContactMode, Language
from storage.errors import DomainError, InvalidContact, QuotaReached
from storage.services.attachments import AttachmentService
from storage.services.intake import IntakeService, ReportSubmission
from storage.services.outbox import OutboxService
from storage.services.throttle import ReporterQuota
from storage.uow import UnitOfWork

log = logging.getLogger("holos.bot.report")

router = Routes("report")


def _sensitive(core: Core, data: Draft) -> bool:
    return data.category is not None and core.catalog.category(data.category).sensitive


async def begin_report(
    event: flow.Event,
    state: FSMContext,
    core: Core,
    *,
    category: str | None,
    feedback_point: str | None = None,
) -> None:
    """``feedback_point``: begun under a point's thanks, the case will carry the point."""
    first = Report.category if category is None else Report.intro
    await flow.start_flow(
        event, state, "report", first, category=category, feedback_point=feedback_point
    )
    await flow.reprompt(event, state, core)


async def discard_draft(state: FSMContext, core: Core) -> None:
    """Delete the draft and the files staged for it; keep the language."""
    data = await flow.draft(state)
    await AttachmentService(core).discard(data.files)
    # The menu shown next keeps only its own message id (no content, coarse times).
    await flow.end_flow(state)


async def _next_after(step: str, event: flow.Event, state: FSMContext, core: Core) -> None:
    """Move on from a step; after an edit, go back to the summary instead."""
    data = await flow.draft(state)
    order = {
        "category": Report.programme,
        "programme": Report.oblast,
        "oblast": Report.description,
        "description": Report.contact,
        "contact": Report.summary,
    }
    target = Report.summary if data.editing and step != "category" else order[step]
    if target is Report.programme and not core.catalog.programmes:
        target = Report.oblast
    await state.set_state(target)
    await flow.reprompt(event, state, core)


# Prompts --------------------------------------------------------------------------------


@flow.prompt_for(Report.category)
async def prompt_category(event: flow.Event, state: FSMContext, core: Core) -> None:
    data = await flow.draft(state)
    if data.content:
        # The person started by telling: every category, the sensitive ones included.
        voice = any(f.kind == "voice" for f in data.files)
        # The voice notice is told once: that message is never edited into another step.
        await flow.show(
            event,
            state,
            texts.story_kept(voice),
            keyboards.every_category(core.catalog),
            protect=voice,
        )
        return
    await flow.show(event, state, texts.choose_category(), keyboards.categories(core.catalog))


@flow.prompt_for(Report.intro)
async def prompt_intro(event: flow.Event, state: FSMContext, core: Core) -> None:
    data = await flow.draft(state)
    if data.category is None:
        raise flow.IncompleteDraft("category")
    locale = data.locale or flow.current_locale()
    await flow.show(
        event,
        state,
        texts.sensitive_intro(data.category, core.settings, locale),
        keyboards.sensitive_intro(),
        protect=True,  # the referral lines stay readable
    )


@flow.prompt_for(Report.programme)
async def prompt_programme(event: flow.Event, state: FSMContext, core: Core) -> None:
    await flow.show(
        event,
        state,
        texts.choose_programme(),
        keyboards.programmes(core.catalog, flow.current_locale()),
    )


@flow.prompt_for(Report.oblast)
async def prompt_oblast(event: flow.Event, state: FSMContext, core: Core) -> None:
    await flow.show(
        event, state, texts.choose_oblast(), keyboards.oblasts(core.catalog, flow.current_locale())
    )


@flow.prompt_for(Report.description)
async def prompt_description(event: flow.Event, state: FSMContext, core: Core) -> None:
    data = await flow.draft(state)
    n_texts, n_files = len(data.parts), len(data.files)
    if data.from_text and not data.described:
        # Their own words came first: say they are kept, then how to go on. The voice
        # notice is told here once: this message is never edited into another step.
        text = texts.story_continues(_sensitive(core, data), n_texts, n_files)
        data.described = True
        await flow.save(state, data)
        await flow.show(event, state, text, keyboards.done("report"), protect=True)
    elif n_texts or n_files:
        text = texts.received_so_far(n_texts, n_files)
        await flow.show(event, state, text, keyboards.done("report"))
    else:
        # Nothing to be done with yet, so no «Done»: the first thing they send brings the
        # tally with its buttons (and no old buttons are left to take off).
        text = texts.describe(_sensitive(core, data), core.settings.narrative_max_chars)
        await flow.show(event, state, text, None, protect=True)


@flow.prompt_for(Report.contact)
async def prompt_contact(event: flow.Event, state: FSMContext, core: Core) -> None:
    data = await flow.draft(state)
    await flow.show(
        event, state, texts.choose_contact(_sensitive(core, data)), keyboards.contact_modes()
    )


@flow.prompt_for(Report.contact_typed)
async def prompt_contact_typed(event: flow.Event, state: FSMContext, core: Core) -> None:
    await flow.show(event, state, texts.type_contact(), keyboards.typed_contact())


@flow.prompt_for(Report.summary)
async def prompt_summary(event: flow.Event, state: FSMContext, core: Core) -> None:
    data = await flow.draft(state)
    if data.category is None or data.oblast is None:
        raise flow.IncompleteDraft("summary")
    locale = flow.current_locale()
    mode = data.contact_mode
    contact = str(texts.CONTACT_NAMES[mode])
    if mode is ContactMode.TYPED and data.contact:
        contact = f"{contact}: {data.contact}"
    if data.receipt_code is None:
        # Drawn now, while the draft is open, and shown here: the case stored by «Send»
        # takes exactly this code, so nothing after that commit can lose it.
        uow = UnitOfWork.current()
        receipt = (
            await IntakeService(uow.session, core).draw_unused_receipt()
            if uow is not None
            else await IntakeService.draw_receipt(core.crypto)
        )
        data.receipt_code = receipt.code
        await flow.save(state, data)
    messages = texts.summary(
        category=texts.category_name(data.category),
        programme=texts.programme_name(core.catalog, data.programme, locale),
        oblast=texts.oblast_name(core.catalog, data.oblast, locale),
        contact=contact,
        files=len(data.files),
        narrative=data.narrative,
        code=format_receipt_code(data.receipt_code),
    )
    await flow.show(event, state, messages, keyboards.summary())


@flow.prompt_for(Report.edit)
async def prompt_edit(event: flow.Event, state: FSMContext, core: Core) -> None:
    await flow.show(event, state, texts.what_to_change(), keyboards.edit_fields())


# Steps -----------------------------------------------------------------------------------


@router.callback_query(Report.category, CategoryCb.filter(), Known("category"))
async def on_category(
    callback: CallbackQuery, callback_data: CategoryCb, state: FSMContext, core: Core
) -> None:
    category = core.catalog.category(callback_data.code)
    data = await flow.draft(state)
    data.category = category.code
    await flow.save(state, data)
    if category.sensitive:
        await state.set_state(Report.intro)
        await flow.reprompt(callback, state, core)
        return
    await _next_after("category", callback, state, core)


@router.callback_query(Report.intro, IntroCb.filter())
async def on_intro(
    callback: CallbackQuery, callback_data: IntroCb, state: FSMContext, core: Core
) -> None:
    if not callback_data.go:
        data = await flow.draft(state)
        if data.content:
            # What they wrote is kept: back means "another category", not "discard".
            data.category = None
            await flow.save(state, data)
            await state.set_state(Report.category)
            await flow.reprompt(callback, state, core)
            return
        await discard_draft(state, core)
        await flow.show_menu(callback, state, core)
        return
    await _next_after("category", callback, state, core)


@router.callback_query(Report.programme, ProgrammeCb.filter(), Known("programme"))
async def on_programme(
    callback: CallbackQuery, callback_data: ProgrammeCb, state: FSMContext, core: Core
) -> None:
    data = await flow.draft(state)
    data.programme = (
        None if callback_data.code == "-" else core.catalog.programme(callback_data.code).code
    )
    await flow.save(state, data)
    await _next_after("programme", callback, state, core)


@router.callback_query(Report.oblast, OblastCb.filter(), Known("oblast"))
async def on_oblast(
    callback: CallbackQuery, callback_data: OblastCb, state: FSMContext, core: Core
) -> None:
    data = await flow.draft(state)
    data.oblast = core.catalog.oblast(callback_data.code).code
    await flow.save(state, data)
    await _next_after("oblast", callback, state, core)


@router.message(Report.description, collect.ACCEPTED)
async def on_description_part(
    message: Message, state: FSMContext, core: Core, quota: ReporterQuota, outcomes: Outcomes
) -> None:
    await collect.take(message, state, core, flow_name="report", quota=quota, outcomes=outcomes)


@router.callback_query(Report.description, DoneCb.filter(F.flow == "report"))
async def on_description_done(callback: CallbackQuery, state: FSMContext, core: Core) -> None:
    if not (await flow.draft(state)).content:
        await flow.say(callback, state, texts.description_empty())
        return
    await _next_after("description", callback, state, core)


@router.callback_query(Report.contact, ContactCb.filter())
@router.callback_query(Report.contact_typed, ContactCb.filter())
async def on_contact(
    callback: CallbackQuery, callback_data: ContactCb, state: FSMContext, core: Core
) -> None:
    mode = ContactMode(callback_data.mode)
    if mode is ContactMode.TYPED:
        await state.set_state(Report.contact_typed)
        await flow.reprompt(callback, state, core)
        return
    data = await flow.draft(state)
    data.contact_mode, data.contact = mode, None
    await flow.save(state, data)
    await _next_after("contact", callback, state, core)


@router.message(Report.contact_typed, F.text)
async def on_contact_typed(message: Message, state: FSMContext, core: Core) -> None:
    await flow.remember(state, message.message_id)
    try:
        contact = normalize_contact(message.text or "")
    except InvalidContact:
        await flow.show(message, state, texts.contact_invalid(), keyboards.typed_contact())
        return
    data = await flow.draft(state)
    data.contact_mode, data.contact = ContactMode.TYPED, contact
    await flow.save(state, data)
    await _next_after("contact", message, state, core)


@router.callback_query(Report.summary, SummaryCb.filter(F.action == "edit"))
async def on_summary_edit(callback: CallbackQuery, state: FSMContext, core: Core) -> None:
    await state.set_state(Report.edit)
    await flow.reprompt(callback, state, core)


@router.callback_query(Report.summary, SummaryCb.filter(F.action == "discard"))
async def on_summary_discard(callback: CallbackQuery, state: FSMContext) -> None:
    await flow.show(callback, state, texts.confirm_discard(), keyboards.confirm_discard())


@router.callback_query(Report.edit, EditCb.filter())
async def on_edit(
    callback: CallbackQuery, callback_data: EditCb, state: FSMContext, core: Core
) -> None:
    field = callback_data.field
    data = await flow.draft(state)
    data.editing = True
    if field == "rewrite":
        await AttachmentService(core).discard(data.files)
        data.parts, data.files = [], []
    await flow.save(state, data)
    targets = {
        "add": Report.description,
        "rewrite": Report.description,
        "programme": Report.programme,
        "oblast": Report.oblast,
        "contact": Report.contact,
        "back": Report.summary,
    }
    await state.set_state(targets.get(field, Report.summary))
    await flow.reprompt(callback, state, core)


@router.callback_query(Report.summary, SummaryCb.filter(F.action == "send"))
async def on_send(
    callback: CallbackQuery,
    state: FSMContext,
    core: Core,
    uow: UnitOfWork,
    reporter_chat: ReporterChat,
    locale: str,
    outcomes: Outcomes,
    quota: ReporterQuota,
) -> None:
    data = await flow.draft(state)
    intake = IntakeService(uow.session, core)
    # The receipt's Argon2 hash (≈10 ms, in a thread) is computed before the case's
    # write transaction opens, so the only SQLite write lock is never held while it runs
    # (wasted only when the quota is reached). The code is the one the confirmation
    # screen showed; a draft from before there was one gets a new one.
    code = data.receipt_code
    if code is not None:
        receipt = await IntakeService.receipt_for(core.crypto, code)
        if await intake.receipt_taken(receipt):
            # Stored by an earlier «Send» whose end was lost (the process stopped between
            # the case's commit and the draft's): the case is there, with this code.
            await _already_stored(callback, state, core, uow, data, code)
            return
    else:
        receipt = await IntakeService.draw_receipt(core.crypto)
    try:
        await quota.check_report()
    except QuotaReached as reached:
        # The draft stays as it is: they can send it tomorrow without writing it again.
        outcomes.add("quota_reached", reached.quota)
        log.info("report_quota_reached")
        await flow.say(
            callback,
            state,
            texts.report_quota_reached(
                core.settings.reports_per_day, reached.resets_at, core.settings
            ),
        )
        return
    # Begun after opening a feedback point's link: the case is tagged with the point.
    point = await feedback.point_of(core, data.feedback_point)
    try:
        submission = replace(
            ReportSubmission.from_draft(
                data, language=Language(locale), reply_chat=reporter_chat.chat_id
            ),
            feedback_point_id=point.id if point is not None else None,
        )
        submitted = await intake.submit(submission, receipt=receipt, exact=code is not None)
    except DomainError as exc:
        log.warning("report_refused code=%s", exc.code)
        await flow.say(callback, state, texts.submit_failed())
        return
    # The draft's state is deleted outright (no row left to line up with the case by
    # time); "clear this conversation" on the receipt carries where the flow began.
    await flow.finish(state)
    # The named step, before the receipt is shown: the case commits alone (no row of
    # this person, the draft or a count, is written or deleted in its transaction,
    # where the log would pair it with the case: issue 18), the draft ends in a commit
    # of its own, and the database's log is emptied (the draft's earlier versions, and
    # the commits that sat beside the case's, leave the files).
    await uow.commit_before_reply(forget_history=True)
    # Then the count moves (outside the database).
    await quota.count_report()
    outcomes.add("report_submitted", submission.category)
    # No category here: a log line must never say that a sensitive report came in when.
    log.info("report_submitted")
    await _show_receipt(
        callback,
        uow,
        data,
        submitted.receipt_code_display,
        core.catalog.category(submission.category),
    )


async def _already_stored(
    callback: CallbackQuery,
    state: FSMContext,
    core: Core,
    uow: UnitOfWork,
    data: Draft,
    code: str,
) -> None:
    """«Send» for a draft whose case is stored already: the draft ends now, and the
    receipt shows the code the person has seen on the confirmation screen."""
    if data.category is None:
        raise flow.IncompleteDraft("category")
    await flow.finish(state)
    await uow.commit_before_reply(forget_history=True)
    log.info("report_already_stored")
    await _show_receipt(
        callback, uow, data, format_receipt_code(code), core.catalog.category(data.category)
    )


async def _show_receipt(
    callback: CallbackQuery, uow: UnitOfWork, data: Draft, code_display: str, category: Category
) -> None:
    message = flow.message_of(callback)
    if message is None:
        return
    trace = data.trace or [data.prompt_id or message.message_id]
    text = texts.receipt(code_display, category.sensitive, category.acknowledge_within)
    markup = keyboards.after_receipt(min(trace))
    # The summary was pressed: it becomes the receipt (one call). The receipt is never
    # a step to edit into the next one (its code must stay); its buttons go when one of
    # them is pressed (start.on_home: no step is recorded as live).
    if message.message_id == data.prompt_id:
        try:
            await uow.commit_before_reply()
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest:
            pass  # deleted meanwhile: the receipt comes as a new message
    await flow.strip_keyboard(message, data.prompt_id)
    await uow.commit_before_reply()
    await message.answer(text, reply_markup=markup)


@router.callback_query(ClearCb.filter())
async def on_clear(
    callback: CallbackQuery,
    callback_data: ClearCb,
    state: FSMContext,
    bot: Bot,
    core: Core,
    uow: UnitOfWork,
    callback_answer: CallbackAnswer,
) -> None:
    """Leave no trace (Telegram allows it in private chats within 48 hours): delete this flow's messages, both sides.

    The receipt code stays (``keep``) until the person deletes it themselves. On the
    receipt the flow's state is already gone: the button carries the first message of the
    report (``since``), and everything from there up to the receipt goes."""
    message = flow.message_of(callback)
    if callback_data.since and message is not None:
        await _clear_since(callback_data.since, message, bot, callback_answer)
        return
    data = await flow.draft(state)
    trace = [m for m in data.trace or [] if message is None or m != message.message_id]
    # A report opened by code: the replies and notices the bot sent about it go too.
    outbox = OutboxService(uow.session, core)
    sent: list[int] = []
    if message is not None and data.case_id is not None:
        sent = await outbox.sent_to_chat(data.case_id, message.chat.id)
        trace = sorted({*trace, *sent} - {message.message_id})
    if message is None or not trace:
        callback_answer.text = texts.button_expired()
        return
    complete = True
    await flow.commit_before_reply()
    for start in range(0, len(trace), 100):
        try:
            await bot.delete_messages(
                chat_id=message.chat.id, message_ids=trace[start : start + 100]
            )
        except TelegramBadRequest:
            complete = False
    data.trace = []
    await flow.save(state, data)
    if sent and data.case_id is not None:
        await outbox.forget_sent(data.case_id)
    await flow.commit_before_reply()
    if callback_data.keep:
        await message.edit_reply_markup(reply_markup=keyboards.back_to_menu())
    else:
        try:
            await message.delete()
        except TelegramBadRequest:
            complete = False
        await flow.finish(state)
    callback_answer.text = texts.cleared(callback_data.keep) if complete else texts.clear_failed()
    callback_answer.show_alert = True


# How far back "clear" on a receipt reaches: a report longer than this is unlikely, and
# a forged ``since`` can only ever touch the presser's own chat.
MAX_CLEARED = 1000


async def _clear_since(
    since: int, receipt: Message, bot: Bot, callback_answer: CallbackAnswer
) -> None:
    ids = list(range(max(since, receipt.message_id - MAX_CLEARED), receipt.message_id))
    complete = True
    await flow.commit_before_reply()
    for start in range(0, len(ids), 100):
        try:
            await bot.delete_messages(chat_id=receipt.chat.id, message_ids=ids[start : start + 100])
        except TelegramBadRequest as exc:
            # A stretch the person already deleted themselves is as good as cleared.
            if "not found" not in str(exc):
                complete = False
    await receipt.edit_reply_markup(reply_markup=keyboards.back_to_menu())
    callback_answer.text = texts.cleared(True) if complete else texts.clear_failed()
    callback_answer.show_alert = True
