"""Simulated people who scan a feedback point's poster and answer in the bot.

For the bot's own tests (tests/handlers/test_feedback_points.py) and for the end-to-end
test of issue 24, which makes a point in the console and then needs people to answer:

    from tests.handlers.feedback_people import SURVEY, make_point, people_answer

    point = await make_point(core)  # or one made in the console, with its survey
    await people_answer(make_user, point.code, SURVEY, "uk", [
        {"satisfied": 5, "waited": "no", "comment": "Дякую!"},
        {"satisfied": 2, "waited": "yes", "wait_long": "over_1h"},  # comment: «Skip»
    ])

Each mapping is one new person (``make_user`` is the harness fixture: a fresh Telegram
user speaking ``language``; a running bot is needed, ``running_bot`` or ``start_bot``).
The person opens ``/start fp_<code>`` and answers each question the bot asks, by
pressing its button as a person does: a scale's number, a choice's or yes/no's label in
the person's language (looked up from the survey), a text typed; a question with no
answer in the mapping (or None) gets «Skip». Questions whose condition is not met are
not asked, as the bot decides; each screen is checked to be the question expected, in
that language. A point without a survey asks for a rating: pass ``{"score": 1..5}``.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta

from handlers.feedback import POINT_PREFIX, ahead
from storage.core import Core
from storage.enums import Language
from storage.models import FeedbackPoint
from storage.services.feedback_points import FeedbackPointService
from storage.surveys import Choice, Question, QuestionKind, Relevance, Survey
from tests.handlers.conversation import catalog, tr
from tests.storage.helpers import make_staff
from tgemu import Replies, SimulatedUser

UK, RU, EN = Language.UK, Language.RU, Language.EN
_ANALYSTS = itertools.count(1)

# A survey with every kind the bot runs: a required scale, a note, a required yes/no,
# a choice asked only after «yes», a yes/no with no choices of its own, an optional text.
SURVEY = Survey(
    questions=(
        Question(
            "satisfied",
            QuestionKind.SCALE,
            {
                UK: "Наскільки ви задоволені сьогоднішньою видачею?",
                RU: "Насколько вы довольны сегодняшней выдачей?",
                EN: "How satisfied are you with today's distribution?",
            },
            required=True,
            minimum=1,
            maximum=5,
        ),
        Question(
            "thanks_note",
            QuestionKind.NOTE,
            {UK: "Ще два питання.", RU: "Ещё два вопроса.", EN: "Two more questions."},
        ),
        Question(
            "waited",
            QuestionKind.YES_NO,
            {UK: "Ви довго чекали?", RU: "Вы долго ждали?", EN: "Did you wait long?"},
            required=True,
            choices=(
                Choice("yes", {UK: "Так", RU: "Да", EN: "Yes"}),
                Choice("no", {UK: "Ні", RU: "Нет", EN: "No"}),
            ),
        ),
        Question(
            "wait_long",
            QuestionKind.CHOICE,
            {UK: "Скільки часу?", RU: "Сколько времени?", EN: "How long?"},
            choices=(
                Choice("under_1h", {UK: "До години", RU: "До часа", EN: "Under an hour"}),
                Choice("over_1h", {UK: "Понад годину", RU: "Больше часа", EN: "Over an hour"}),
            ),
            relevant=Relevance("waited", "yes"),
        ),
        Question(
            "again",
            QuestionKind.YES_NO,  # no choices of its own: the bot's yes and no
            {
                UK: "Чи прийшли б ви сюди знову?",
                RU: "Пришли бы вы сюда снова?",
                EN: "Would you come here again?",
            },
        ),
        Question(
            "comment",
            QuestionKind.TEXT,
            {
                UK: "Що нам варто покращити?",
                RU: "Что нам стоит улучшить?",
                EN: "What should we improve?",
            },
        ),
    )
)


async def make_point(
    core: Core,
    *,
    survey: Survey | None = SURVEY,
    opens_in_days: int = -1,
    closes_in_days: int | None = 7,
) -> FeedbackPoint:
    """A point as an analyst makes it in the console (food assistance in Kharkiv
    oblast), active from ``opens_in_days`` to ``closes_in_days`` around today (None:
    no closing day), with ``survey`` (None: the point asks for a rating)."""
    analyst = await make_staff(core, f"analyst{next(_ANALYSTS)}", "analyst")
    async with core.database.transaction() as session:
        service = FeedbackPointService(session, core)
        today = service.today()
        point = await service.create(
            analyst,
            name="Харків, вул. Сумська 12",
            programme="food",
            oblast="UA-63",
            active_from=today + timedelta(days=opens_in_days),
            active_until=(
                today + timedelta(days=closes_in_days) if closes_in_days is not None else None
            ),
            served=200,
        )
        if survey is not None:
            point = await service.set_survey(analyst, point.code, survey)
        return point


Answer = str | int | None
NewPerson = Callable[[str], Awaitable[SimulatedUser]]

THANKS = (
    "Thank you! Your answers help us improve our assistance. If you want to tell us "
    "more, or something went wrong, choose below."
)


def _choice_label(survey: Survey, name: str, value: str, language: str) -> str:
    question = survey.question(name)
    lang = Language(language)
    for choice in question.choices:
        if choice.name == value:
            return choice.label(lang)
    if question.kind is QuestionKind.YES_NO:
        return catalog(language).pgettext("survey answer", "Yes" if value == "yes" else "No")
    raise KeyError(f"{name}: no choice {value!r}")


async def answer_survey(
    user: SimulatedUser,
    code: str,
    survey: Survey,
    language: str,
    answers: Mapping[str, Answer],
) -> Replies:
    """One person opens the point's link and answers; returns the bot's last replies
    (the thanks with the menu)."""
    replies = await user.send_command("start", f"{POINT_PREFIX}{code}")
    given: dict[str, Answer] = {}
    position = 0
    while True:
        step = ahead(survey, position, given)
        if step.index is None:
            break
        question = survey.questions[step.index]
        label = question.label(Language(language))
        assert label in replies.last.body, f"expected {label!r}, got {replies.last.body!r}"
        value = answers.get(question.name)
        if value is None:
            replies = await user.press(tr(language, "Skip »"))
        elif question.kind is QuestionKind.TEXT:
            replies = await user.send_text(str(value))
        elif question.kind is QuestionKind.SCALE:
            replies = await user.press(str(value))
        else:
            replies = await user.press(_choice_label(survey, question.name, str(value), language))
        given[question.name] = value
        position = step.index + 1
    assert tr(language, THANKS) in replies.last.body, replies.last.body
    return replies


async def rate_at_point(user: SimulatedUser, code: str, language: str, score: int) -> Replies:
    """One person opens a point without a survey and rates (no comment)."""
    await user.send_command("start", f"{POINT_PREFIX}{code}")
    faces = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}
    labels = {
        1: "Very dissatisfied",
        2: "Dissatisfied",
        3: "Neither satisfied nor dissatisfied",
        4: "Satisfied",
        5: "Very satisfied",
    }
    await user.press(f"{faces[score]} {tr(language, labels[score])}")
    if score in (1, 2):
        await user.press(tr(language, "Continue »"))
    return await user.press(tr(language, "Skip »"))


async def people_answer(
    make_user: NewPerson,
    code: str,
    survey: Survey | None,
    language: str,
    answers: Sequence[Mapping[str, Answer]],
) -> None:
    """``len(answers)`` new people, speaking ``language``, open the point's link one
    after another and answer (see the module's docstring)."""
    for one in answers:
        user = await make_user(language)
        if survey is None:
            score = one["score"]
            assert isinstance(score, int)
            await rate_at_point(user, code, language, score)
        else:
            await answer_survey(user, code, survey, language, one)
