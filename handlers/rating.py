"""Satisfaction: programme → score 1–5 → what went wrong (for 1–2) →
optional comment → thanks; and the one question after an opted-in case is closed."""

from __future__ import annotations

import contextlib
import logging

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import feedback, flow, keyboards, texts
from handlers.callbacks import HandlingCb, ProgrammeCb, ReasonCb, ScoreCb, SkipCb
from handlers.filters import Known
from handlers.routes import Routes
from handlers.states import Rate
from storage.core import Core
from storage.enums import Language, WhatWentWrong
from storage.errors import AlreadyRated, DomainError, NotFound
from storage.services.ratings import LOW_SCORES, MAX_COMMENT_CHARS, RatingService
from storage.uow import UnitOfWork

log = logging.getLogger("holos.bot.rating")

router = Routes("rating")


async def begin_rating(event: flow.Event, state: FSMContext, core: Core) -> None:
    first = Rate.programme if core.catalog.programmes else Rate.score
    await flow.start_flow(event, state, "rating", first)
    await flow.reprompt(event, state, core)


@flow.prompt_for(Rate.programme)
async def prompt_programme(event: flow.Event, state: FSMContext, core: Core) -> None:
    await flow.show(
        event,
        state,
        texts.rate_programme(),
        keyboards.programmes(core.catalog, flow.current_locale()),
    )


@flow.prompt_for(Rate.score)
async def prompt_score(event: flow.Event, state: FSMContext, core: Core) -> None:
    await flow.show(event, state, texts.rate_score(), keyboards.scores())


@flow.prompt_for(Rate.reasons)
async def prompt_reasons(event: flow.Event, state: FSMContext, core: Core) -> None:
    data = await flow.draft(state)
    await flow.show(event, state, texts.rate_reasons(), keyboards.reasons(data.reasons))


@flow.prompt_for(Rate.comment)
async def prompt_comment(event: flow.Event, state: FSMContext, core: Core) -> None:
    await flow.show(event, state, texts.rate_comment(), keyboards.skip())


@router.callback_query(Rate.programme, ProgrammeCb.filter(), Known("programme"))
async def on_programme(
    callback: CallbackQuery, callback_data: ProgrammeCb, state: FSMContext, core: Core
) -> None:
    data = await flow.draft(state)
    data.programme = (
        None if callback_data.code == "-" else core.catalog.programme(callback_data.code).code
    )
    await flow.save(state, data)
    await state.set_state(Rate.score)
    await flow.reprompt(callback, state, core)


@router.callback_query(Rate.score, ScoreCb.filter(F.score.in_({1, 2, 3, 4, 5})))
async def on_score(
    callback: CallbackQuery, callback_data: ScoreCb, state: FSMContext, core: Core
) -> None:
    data = await flow.draft(state)
    data.score, data.reasons = callback_data.score, []
    await flow.save(state, data)
    await state.set_state(Rate.reasons if callback_data.score in LOW_SCORES else Rate.comment)
    await flow.reprompt(callback, state, core)


@router.callback_query(Rate.reasons, ReasonCb.filter(F.code == "done"))
async def on_reasons_done(callback: CallbackQuery, state: FSMContext, core: Core) -> None:
    await state.set_state(Rate.comment)
    await flow.reprompt(callback, state, core)


@router.callback_query(Rate.reasons, ReasonCb.filter(F.code.in_({r.value for r in WhatWentWrong})))
async def on_reason(
    callback: CallbackQuery, callback_data: ReasonCb, state: FSMContext, core: Core
) -> None:
    data = await flow.draft(state)
    data.reasons = sorted(set(data.reasons) ^ {callback_data.code})
    await flow.save(state, data)
    await flow.reprompt(callback, state, core)


@router.message(Rate.comment, F.text & ~F.text.startswith("/"))
async def on_comment(
    message: Message, state: FSMContext, core: Core, uow: UnitOfWork, locale: str
) -> None:
    await flow.remember(state, message.message_id)
    comment = (message.text or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        await flow.say(message, state, texts.comment_too_long(MAX_COMMENT_CHARS))
        await flow.reprompt(message, state, core)
        return
    await _save(message, state, core, uow, locale, comment)


@router.callback_query(Rate.comment, SkipCb.filter())
async def on_skip(
    callback: CallbackQuery, state: FSMContext, core: Core, uow: UnitOfWork, locale: str
) -> None:
    await _save(callback, state, core, uow, locale, None)


async def _save(
    event: flow.Event,
    state: FSMContext,
    core: Core,
    uow: UnitOfWork,
    locale: str,
    comment: str | None,
) -> None:
    data = await flow.draft(state)
    if data.score is None:
        raise flow.IncompleteDraft("rating")
    # Asked by a feedback point's link: tied to the point.
    point = await feedback.point_of(core, data.feedback_point)
    try:
        await RatingService(uow.session, core).rate_assistance(
            programme=data.programme,
            score=data.score,
            reasons=data.reasons,
            comment=comment,
            language=Language(locale),
            feedback_point=point,
        )
    except DomainError as exc:
        log.warning("rating_refused code=%s", exc.code)
        await flow.say(event, state, texts.rating_failed())
        await flow.reprompt(event, state, core)
        return
    log.info("rating_saved score=%s", data.score)
    if data.feedback_point is not None:
        await feedback.point_rated(event, state, core, data.feedback_point)
        return
    await flow.show(
        event, state, texts.rate_thanks(), keyboards.back_to_menu(), edit=False, track=False
    )
    await flow.finish(state)


@router.callback_query(HandlingCb.filter(F.score.in_({1, 2, 3, 4, 5})))
async def on_handling(
    callback: CallbackQuery,
    callback_data: HandlingCb,
    state: FSMContext,
    core: Core,
    uow: UnitOfWork,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    """The answer to "how well was your report handled?", asked once when it closed.

    Only in the chat the question was sent to: a payload copied into another chat or
    made up (the outbox id is a plain number) is a stale button, and changes nothing."""
    pressed = flow.message_of(callback)
    if pressed is None or not callback_data.signed_for(core.crypto, pressed.chat.id):
        log.info("handling_button_refused")
        await flow.stale_button(callback, state, core, callback_answer)
        return
    try:
        await RatingService(uow.session, core).rate_handling(
            outbox_id=callback_data.ref, score=callback_data.score, language=Language(locale)
        )
    except AlreadyRated:
        callback_answer.text = texts.handling_thanks()
        return
    except NotFound:
        callback_answer.text = texts.button_expired()
        return
    # The named step: the rating is durable before the thanks is shown.
    await uow.commit_before_reply()
    log.info("handling_rated score=%s", callback_data.score)
    callback_answer.text = texts.handling_thanks()
    message = flow.message_of(callback)
    if message is not None:
        with contextlib.suppress(TelegramBadRequest):
            # The question as sent (it names the report), then the answer given.
            await message.edit_text(
                f"{message.html_text}\n\n{texts.SCORE_FACES[callback_data.score]} "
                f"{texts.SCORE_LABELS[callback_data.score]}\n{texts.handling_thanks()}",
                reply_markup=None,
            )
