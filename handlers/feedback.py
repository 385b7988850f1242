"""Feedback points: what a person meets after scanning a poster's QR code or opening its
link (``/start fp_<code>``).

The point's survey, one question a screen, in the person's language: a 1–5 scale, a
choice or yes/no as buttons, a short text typed (or skipped); notes come as text above
the next question; a question whose condition (an earlier answer) is not met is not
asked; a required one has no «Skip». The answers stay in the (encrypted) draft until the
last question and are stored then, in one response, with the point and a coarse time
only. A point without a survey asks the usual satisfaction rating with the point's
programme set, tied to the point (handlers.rating). Then the thanks with the menu, and
the draft is deleted outright, as after any rating: nothing of the point stays with the
person. The menu's report buttons carry the point's code, so that a complaint begun
there is tagged with the point (a rating begun there is not: it may be about other
assistance).

A code that is unknown, not yet active or expired opens the usual first screen, with
one line that says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import collect, flow, keyboards, texts
from handlers.callbacks import SKIP_ANSWER, SurveyCb
from handlers.routes import Routes
from handlers.states import PointSurvey, Rate
from storage.core import Core
from storage.enums import Channel, Language
from storage.errors import DomainError, FeedbackPointNotFound, FeedbackPointUnavailable
from storage.models import FeedbackPoint
from storage.services.feedback_points import (
    DEEP_LINK_PREFIX,
    MAX_TEXT_ANSWER_CHARS,
    FeedbackPointService,
)
from storage.surveys import Question, QuestionKind, Survey, answers_of
from storage.uow import UnitOfWork

log = logging.getLogger("holos.bot.feedback")

router = Routes("feedback")

POINT_PREFIX = DEEP_LINK_PREFIX

Answers = Mapping[str, str | int | None]


def _session() -> UnitOfWork:
    uow = UnitOfWork.current()
    if uow is None:  # every update runs in one (bot.middlewares)
        raise RuntimeError("no unit of work")
    return uow


async def point_of(core: Core, code: str | None) -> FeedbackPoint | None:
    """The point the draft names. Opened while it was active (open_point), it serves
    the flow begun there to the end, even past its closing day's midnight."""
    if code is None:
        return None
    try:
        return await FeedbackPointService(_session().session, core).get(code)
    except FeedbackPointNotFound:
        return None


def survey_of(point: FeedbackPoint) -> Survey | None:
    """The point's survey, if it has one with a question to ask."""
    try:
        survey = point.survey_definition
    except (ValueError, KeyError, TypeError):
        log.warning("survey_unreadable")
        return None
    return survey if survey is not None and survey.asked else None


# The walk through a survey ------------------------------------------------------------


def relevant(question: Question, answers: Answers) -> bool:
    """Asked (or shown) only when the earlier answer it depends on is the one named; a
    question skipped or not asked meets no condition."""
    if question.relevant is None:
        return True
    given = answers.get(question.relevant.question)
    return given is not None and str(given) == question.relevant.value


@dataclass(frozen=True)
class Ahead:
    """What comes next from a place in the survey: the notes to show, and the index of
    the question to ask (None: the survey is done)."""

    notes: tuple[Question, ...]
    index: int | None


def ahead(survey: Survey, start: int, answers: Answers) -> Ahead:
    """From ``start`` (the index of the first item not yet passed), given ``answers``:
    the relevant notes, then the first relevant question. The bot's walk, and the one
    tests/handlers/feedback_people.py follows to know what the bot will ask."""
    notes: list[Question] = []
    for index in range(start, len(survey.questions)):
        question = survey.questions[index]
        if not relevant(question, answers):
            continue
        if question.kind is QuestionKind.NOTE:
            notes.append(question)
            continue
        return Ahead(tuple(notes), index)
    return Ahead(tuple(notes), None)


def skippable(question: Question) -> bool:
    """A typed answer may always be left out; any other only when not required."""
    return question.kind is QuestionKind.TEXT or not question.required


def _scale(question: Question) -> range:
    low, high = question.scale_range
    return range(low, high + 1)


def options(question: Question, language: Language) -> list[tuple[int, str]]:
    """The buttons of a question: (the value its button carries, its label)."""
    if question.kind is QuestionKind.SCALE:
        return [(value, str(value)) for value in _scale(question)]
    if question.kind is QuestionKind.CHOICE:
        return [(i, c.label(language)) for i, c in enumerate(question.choices)]
    if question.kind is QuestionKind.YES_NO:
        if question.choices:
            return [(i, c.label(language)) for i, c in enumerate(question.choices)]
        return [(0, texts.b_yes()), (1, texts.b_no())]
    return []


def answer_of(question: Question, value: int) -> str | int | None:
    """The answer a button carries, as stored; raises ValueError for one it cannot."""
    if value == SKIP_ANSWER and skippable(question):
        return None
    if question.kind is QuestionKind.SCALE and value in _scale(question):
        return value
    if question.kind is QuestionKind.CHOICE and 0 <= value < len(question.choices):
        return question.choices[value].name
    if question.kind is QuestionKind.YES_NO and 0 <= value < len(answers_of(question)):
        return answers_of(question)[value]
    raise ValueError(value)


# Opening a point ------------------------------------------------------------------------


async def open_point(
    message: Message, state: FSMContext, core: Core, locale: str, code: str
) -> None:
    """``/start fp_<code>``: the point's survey or rating, or the first screen with why
    not. A draft in progress is asked about first, as at /start."""
    await flow.remember(state, message.message_id)
    uow = _session()
    try:
        service = FeedbackPointService(uow.session, core)
        point = await service.open_point(code, service.today())
    except FeedbackPointUnavailable as exc:
        log.info("feedback_point_unavailable reason=%s", exc.reason.value)
        await _unavailable(message, state, core, locale, exc.reason.value)
        return
    log.info("feedback_point_opened")
    if flow.has_draft(await flow.draft(state), await state.get_state()):
        # What they were writing is not dropped: they choose first, as at /start (the
        # poster's link works again after).
        await flow.show(
            message, state, texts.resume_or_discard(), keyboards.resume_or_discard(), edit=False
        )
        return
    survey = survey_of(point)
    intro = texts.point_intro(point.name, survey=survey is not None)
    if survey is None:
        # The usual rating, its programme the point's (no question about which).
        await flow.start_flow(message, state, "rating", Rate.score)
        data = await flow.draft(state)
        data.feedback_point, data.programme = point.code, point.programme
        await flow.save(state, data)
        await flow.show(message, state, f"{intro}\n\n{texts.rate_score()}", keyboards.scores())
        return
    await flow.start_flow(message, state, "survey", PointSurvey.question)
    data = await flow.draft(state)
    data.feedback_point = point.code
    await flow.save(state, data)
    await _show_question(message, state, survey, intro=intro)


async def _unavailable(
    message: Message, state: FSMContext, core: Core, locale: str, reason: str
) -> None:
    """One message: why, then what /start shows (or the question about a draft)."""
    why = texts.point_unavailable(reason)
    if flow.has_draft(await flow.draft(state), await state.get_state()):
        await flow.show(
            message,
            state,
            f"{why}\n\n{texts.resume_or_discard()}",
            keyboards.resume_or_discard(),
            edit=False,
        )
        return
    await flow.end_flow(state)
    await flow.show(
        message,
        state,
        f"{why}\n\n{texts.welcome(core.settings)}",
        keyboards.welcome_menu(core.catalog, locale),
        protect=True,
    )


# The survey --------------------------------------------------------------------------------


async def _show_question(
    event: flow.Event, state: FSMContext, survey: Survey, *, intro: str | None = None
) -> None:
    data = await flow.draft(state)
    step = ahead(survey, data.survey_next, data.answers)
    if step.index is None:
        raise flow.IncompleteDraft("survey")
    language = Language(flow.current_locale())
    question = survey.questions[step.index]
    hint: str | None = None
    if question.kind is QuestionKind.SCALE:
        scale = _scale(question)
        hint = texts.survey_scale_hint(scale.start, scale.stop - 1)
    elif question.kind is QuestionKind.TEXT:
        hint = texts.survey_text_hint()
    text = texts.survey_question(
        [note.label(language) for note in step.notes], question.label(language), hint
    )
    if intro:
        text = f"{intro}\n\n{text}"
    buttons = options(question, language)
    # A scale's numbers on one row, yes and no side by side, longer choices one a row.
    row = len(buttons) if question.kind is not QuestionKind.CHOICE else 1
    markup = keyboards.survey_answers(
        step.index, buttons, row=max(row, 1), skippable=skippable(question)
    )
    await flow.show(event, state, text, markup)


@flow.prompt_for(PointSurvey.question)
async def prompt_question(event: flow.Event, state: FSMContext, core: Core) -> None:
    data = await flow.draft(state)
    point = await point_of(core, data.feedback_point)
    survey = survey_of(point) if point is not None else None
    if survey is None:
        # Closed (or changed) while the person was answering: nothing more to ask.
        await flow.end_flow(state)
        await flow.show_menu(event, state, core)
        return
    await _show_question(event, state, survey)


async def _current(
    core: Core, state: FSMContext
) -> tuple[FeedbackPoint, Survey, int, Question] | None:
    data = await flow.draft(state)
    point = await point_of(core, data.feedback_point)
    survey = survey_of(point) if point is not None else None
    if point is None or survey is None:
        return None
    index = ahead(survey, data.survey_next, data.answers).index
    if index is None:
        return None
    return point, survey, index, survey.questions[index]


@router.callback_query(PointSurvey.question, SurveyCb.filter())
async def on_answer(
    callback: CallbackQuery,
    callback_data: SurveyCb,
    state: FSMContext,
    core: Core,
    locale: str,
    callback_answer: CallbackAnswer,
) -> None:
    current = await _current(core, state)
    if current is None or not flow.is_live(callback, await flow.draft(state)):
        await flow.stale_button(callback, state, core, callback_answer)
        return
    point, survey, index, question = current
    try:
        if callback_data.q != index:
            raise ValueError(callback_data.q)
        answer = answer_of(question, callback_data.a)
    except ValueError:
        await flow.stale_button(callback, state, core, callback_answer)
        return
    await _answered(callback, state, core, locale, point, survey, index, answer)


@router.message(PointSurvey.question, F.text & ~F.text.startswith("/"))
async def on_typed(message: Message, state: FSMContext, core: Core, locale: str) -> None:
    await flow.remember(state, message.message_id)
    current = await _current(core, state)
    if current is None:
        await flow.end_flow(state)
        await flow.show_menu(message, state, core)
        return
    point, survey, index, question = current
    if question.kind is not QuestionKind.TEXT:
        # As at any step answered with buttons: why, and the question again below.
        await collect.answer(message, state, core, added=False, refusal=texts.use_buttons())
        return
    answer = (message.text or "").strip()
    if len(answer) > MAX_TEXT_ANSWER_CHARS:
        await flow.say(message, state, texts.survey_answer_too_long(MAX_TEXT_ANSWER_CHARS))
        await flow.reprompt(message, state, core)
        return
    await _answered(message, state, core, locale, point, survey, index, answer or None)


async def _answered(
    event: flow.Event,
    state: FSMContext,
    core: Core,
    locale: str,
    point: FeedbackPoint,
    survey: Survey,
    index: int,
    answer: str | int | None,
) -> None:
    data = await flow.draft(state)
    answers = {**data.answers, survey.questions[index].name: answer}
    step = ahead(survey, index + 1, answers)
    if step.index is not None:
        data.answers, data.survey_next = answers, index + 1
        await flow.save(state, data)
        await _show_question(event, state, survey)
        return
    language = Language(locale)
    uow = _session()
    # Only what this survey asks (it may have changed since the first question).
    asked = {q.name for q in survey.asked}
    try:
        await FeedbackPointService(uow.session, core).record_response(
            point,
            {name: value for name, value in answers.items() if name in asked},
            language=language,
            channel=Channel.TELEGRAM,
        )
    except DomainError as exc:
        # The draft is as it was: the last question again, its answer not taken.
        log.warning("survey_refused code=%s", exc.code)
        await flow.say(event, state, texts.rating_failed())
        await flow.reprompt(event, state, core)
        return
    # The named step: the response is durable before the thanks is shown.
    await uow.commit_before_reply()
    log.info("survey_saved")
    # The thanks with the menu; its report buttons carry the point's code.
    await flow.show(
        event,
        state,
        texts.survey_thanks([note.label(language) for note in step.notes]),
        keyboards.point_menu(core.catalog, point.code),
        track=False,
    )
    # The flow ends: its draft, which held the answers, is deleted outright (its own
    # commit, after the response's: storage.uow), and the database's log emptied.
    await flow.finish(state)


async def point_rated(event: flow.Event, state: FSMContext, core: Core, code: str) -> None:
    """After the rating a point's link asked for: the thanks and the menu in one message,
    its report buttons carrying the point's code; the draft is deleted outright."""
    await flow.show(
        event,
        state,
        texts.point_rating_thanks(),
        keyboards.point_menu(core.catalog, code),
        edit=False,
        track=False,
    )
    await flow.finish(state)
