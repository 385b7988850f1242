"""Follow-up by receipt code: status, last update, public replies in the
reporter's language, and adding information to the same case."""

from __future__ import annotations

import asyncio
import logging
import math

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import collect, flow, keyboards, texts
from handlers.callbacks import AnswerCb, DoneCb, FollowCb
from handlers.context import Outcomes
from handlers.routes import Routes
from handlers.states import FollowUp, Report
from storage.core import Core
from storage.enums import ActivityKind, Language
from storage.errors import (
    CaseClosedForAdditions,
    ClaimAlreadyUsed,
    DomainError,
    InvalidReceiptCode,
    RateLimited,
)
from storage.services.attachments import AttachmentService
from storage.services.intake import IntakeService
from storage.services.outbox import OutboxService
from storage.services.throttle import ReceiptGuard, ReceiptMisses, ReporterQuota
from storage.uow import UnitOfWork

log = logging.getLogger("holos.bot.followup")

router = Routes("followup")


async def begin_followup(event: flow.Event, state: FSMContext, core: Core) -> None:
    await flow.start_flow(event, state, "followup", FollowUp.code)
    await flow.reprompt(event, state, core)


@flow.prompt_for(FollowUp.code)
async def prompt_code(event: flow.Event, state: FSMContext, core: Core) -> None:
    carried = (await flow.draft(state)).content
    text = texts.ask_code_for_earlier() if carried else texts.ask_receipt_code()
    await flow.show(event, state, text, keyboards.cancel_only())


@flow.prompt_for(FollowUp.adding)
async def prompt_adding(event: flow.Event, state: FSMContext, core: Core) -> None:
    data = await flow.draft(state)
    if data.content:
        text = texts.received_so_far(len(data.parts), len(data.files))
    elif data.answering:
        text = texts.write_answer()
    else:
        text = texts.add_information()
    await flow.show(event, state, text, keyboards.done("followup"), edit=False)


@flow.prompt_for(FollowUp.viewing)
async def prompt_view(event: flow.Event, state: FSMContext, core: Core) -> None:
    data = await flow.draft(state)
    # The view is rebuilt from the case each time: nothing of it is kept in the draft.
    uow = UnitOfWork.current()
    if uow is None or data.case_id is None:
        await flow.end_flow(state)
        await flow.show_menu(event, state, core)
        return
    service = IntakeService(uow.session, core)
    case = await service.cases.get(data.case_id)
    if case is None:
        await flow.end_flow(state)
        await flow.show_menu(event, state, core)
        return
    locale = Language(data.locale or flow.current_locale())
    view = await service.reporter_view(case, language=locale)
    messages = texts.report_view(
        category=texts.category_name(view.category),
        status=view.status,
        created=texts.day(view.created_at, core.settings, locale.value),
        updated=texts.when(view.last_update_at, core.settings, locale.value),
        replies=[
            (texts.when(r.created_at, core.settings, locale.value), r.text) for r in view.replies
        ],
    )
    await flow.show(
        event, state, messages, keyboards.report_view(view.accepts_additions), edit=False
    )


async def _pay_pressure_delay(
    core: Core, uow: UnitOfWork, misses: ReceiptMisses, outcomes: Outcomes
) -> None:
    """Under a flood of wrong codes, a person's first lookup of the hour waits a little
    (see ReceiptGuard): never a refusal, so a code that matches always opens its case."""
    settings = core.settings
    async with uow.reading() as session:
        delay = await ReceiptGuard(
            session,
            core.clock,
            global_cap=settings.receipt_global_failures_per_hour,
            delay=settings.receipt_pressure_delay_seconds,
        ).delay_for(misses)
    if delay <= 0:
        return
    outcomes.add("receipt_lookup_delayed", "global_pressure")
    log.info("receipt_lookup_delayed")
    # Nothing is held while waiting: no transaction, only this chat's own lock.
    await uow.commit_before_reply()
    await asyncio.sleep(delay)


@router.message(FollowUp.code, F.text & ~F.text.startswith("/"))
async def on_code(
    message: Message,
    state: FSMContext,
    core: Core,
    uow: UnitOfWork,
    receipt_misses: ReceiptMisses,
    outcomes: Outcomes,
) -> None:
    await flow.remember(state, message.message_id)
    await _pay_pressure_delay(core, uow, receipt_misses, outcomes)
    try:
        match = await IntakeService(uow.session, core).lookup_code(
            message.text or "", misses=receipt_misses
        )
    except ClaimAlreadyUsed:
        # The code opened this case once already, for whoever used it: never again.
        outcomes.add("receipt_lookup", "claim_used")
        log.info("claim_code_used_again")
        await flow.end_flow(state, trace=(await flow.draft(state)).trace or [])
        await flow.show(
            message, state, texts.claim_already_used(core.settings), keyboards.back_to_menu()
        )
        return
    except InvalidReceiptCode as exc:
        outcomes.add("receipt_lookup", "malformed")
        digits = sum(ch.isdigit() for ch in message.text or "")
        reason = "letters" if "other than digits" in exc.reason else "length"
        await flow.show(
            message, state, texts.receipt_code_malformed(reason, digits), keyboards.cancel_only()
        )
        return
    except RateLimited as exc:
        outcomes.add("receipt_lookup", "throttled")
        log.info("receipt_lookup_throttled")
        minutes = max(1, math.ceil(exc.retry_after / 60))
        await flow.end_flow(state, trace=(await flow.draft(state)).trace or [])
        await flow.show(message, state, texts.too_many_attempts(minutes), keyboards.back_to_menu())
        return
    if match is None:
        outcomes.add("receipt_lookup", "missed")
        log.info("receipt_lookup_missed")
        await flow.show(message, state, texts.receipt_code_unknown(), keyboards.cancel_only())
        return
    if match.receipt_code_display is not None:
        # A one-time code staff gave them: from now on only the code shown here opens
        # the case (flow.say commits the exchange before the code is shown).
        outcomes.add("receipt_lookup", "claimed")
        log.info("claim_code_exchanged")
        await flow.say(message, state, texts.claim_exchanged(match.receipt_code_display))
    else:
        outcomes.add("receipt_lookup", "found")
    data = await flow.draft(state)
    data.case_id = match.case.id
    await flow.save(state, data)
    # What they wrote before choosing "add to an earlier report" waits for «Done».
    await state.set_state(FollowUp.adding if data.content else FollowUp.viewing)
    await flow.reprompt(message, state, core)


@router.callback_query(Report.category, FollowCb.filter(F.action == "earlier"))
async def on_earlier(callback: CallbackQuery, state: FSMContext, core: Core) -> None:
    """From the draft that free text started: the same words, added to an earlier
    report found by its code (the only way from a chat to a case)."""
    data = await flow.draft(state)
    data.flow, data.category = "followup", None
    await flow.save(state, data)
    await state.set_state(FollowUp.code)
    await flow.reprompt(callback, state, core)


@router.callback_query(FollowUp.viewing, FollowCb.filter(F.action == "add"))
async def on_add(callback: CallbackQuery, state: FSMContext, core: Core) -> None:
    data = await flow.draft(state)
    data.parts, data.files = [], []
    await flow.save(state, data)
    await state.set_state(FollowUp.adding)
    await flow.reprompt(callback, state, core)


@router.message(FollowUp.adding, collect.ACCEPTED)
async def on_addition_part(
    message: Message, state: FSMContext, core: Core, quota: ReporterQuota, outcomes: Outcomes
) -> None:
    await collect.take(message, state, core, flow_name="followup", quota=quota, outcomes=outcomes)


@router.callback_query(FollowUp.adding, DoneCb.filter(F.flow == "followup"))
async def on_addition_done(
    callback: CallbackQuery,
    state: FSMContext,
    core: Core,
    uow: UnitOfWork,
    callback_answer: CallbackAnswer,
) -> None:
    data = await flow.draft(state)
    if not data.content:
        await flow.say(callback, state, texts.description_empty())
        return
    if data.case_id is None:
        raise flow.IncompleteDraft("addition")
    staged = data.files
    kind = ActivityKind.REPORTER_REPLIED if data.answering else ActivityKind.REPORTER_ADDED
    try:
        await IntakeService(uow.session, core).add_reporter_info(
            data.case_id, text=data.narrative, attachments=staged, kind=kind
        )
    except CaseClosedForAdditions:
        await AttachmentService(core).discard(staged)
        await flow.end_flow(state, trace=data.trace or [])
        await flow.show(callback, state, texts.case_content_deleted(), keyboards.back_to_menu())
        return
    except DomainError as exc:
        log.warning("addition_refused code=%s", exc.code)
        await flow.say(callback, state, texts.addition_failed())
        return
    if data.answering:
        # No code was typed: the case is not shown, the answer is simply taken. The
        # trace stays, so the answer can be cleared from the chat.
        await flow.end_flow(state, trace=data.trace or [])
        await uow.commit_before_reply()
        uow.forget_history()
        log.info("reporter_reply_saved")
        callback_answer.text = texts.information_added()
        await flow.show(callback, state, texts.information_added(), keyboards.clear_or_menu())
        return
    data.parts, data.files = [], []
    await flow.save(state, data)
    await state.set_state(FollowUp.viewing)
    # The named step: the addition is durable before "added" is shown.
    await uow.commit_before_reply()
    # The addition's part of the flow is over: once this update has written, the draft's
    # versions that held its text leave the files (as after a report, storage.uow).
    uow.forget_history()
    log.info("reporter_addition_saved")
    callback_answer.text = texts.information_added()
    await flow.say(callback, state, texts.information_added())
    await flow.reprompt(callback, state, core)


@router.callback_query(AnswerCb.filter())
async def on_answer(
    callback: CallbackQuery,
    callback_data: AnswerCb,
    state: FSMContext,
    core: Core,
    uow: UnitOfWork,
    callback_answer: CallbackAnswer,
) -> None:
    """The "Reply to this" button under a reply: what they send next joins that case.

    Only in the chat the reply was sent to: a payload copied elsewhere or made up is a
    stale button. The case is found from the delivered message, never from the chat."""
    pressed = flow.message_of(callback)
    if pressed is None or not callback_data.signed_for(core.crypto, pressed.chat.id):
        log.info("answer_button_refused")
        await flow.stale_button(callback, state, core, callback_answer)
        return
    case_id = await OutboxService(uow.session, core).reply_case_id(callback_data.ref)
    if case_id is None:
        await flow.stale_button(callback, state, core, callback_answer)
        return
    if flow.has_draft(await flow.draft(state), await state.get_state()):
        # A draft in progress is never dropped unasked: continue it, or delete it and
        # press "Reply to this" again.
        await flow.show(
            callback, state, texts.resume_or_discard(), keyboards.resume_or_discard(), edit=False
        )
        return
    await flow.start_flow(callback, state, "followup", FollowUp.adding)
    data = await flow.draft(state)
    data.case_id, data.answering = case_id, True
    # The reply itself stays in the chat until "clear this conversation".
    data.trace = []
    await flow.save(state, data)
    await flow.reprompt(callback, state, core)
