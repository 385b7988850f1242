"""Two feedback points and what people answered there, with the figures worked out by
hand (tests of the results service, the API, the console, the exports and the workbook
read them).

Point "food" (Food kits, Kharkiv oblast, serves 40) asks four questions: a 1–5 scale,
yes/no, sex (a demographic question) and a short text. In February 2026 (Kyiv time) 12
people answered:

===  =====  ======  ======  =========
 #   score  enough  sex     words
===  =====  ======  ======  =========
 1   5      yes     female  Дякую
 2   5      yes     female
 3   4      yes     female
 4   4      no      female  Черга
 5   4      yes     female
 6   3      no      female
 7   2      no      male
 8   1      no      male
 9   5      yes     female
10   4              male
11                  male
12                  female
===  =====  ======  ======  =========

So: scale answered 10, scores 1:1 2:1 3:1 4:4 5:3, mean 3.7, satisfied 7 (0.7); enough
9 answers, yes 5 no 4; sex 8 female, 4 male (the men pooled with the women); 2 texts;
response rate 12/40 = 0.3. The scale by sex: women 7 (5,5,4,4,4,3,5), men 3 (2,1,4):
pooled into one row of 10, mean 3.7. Two ratings at the point (5 and 2). One more
response on 1 March is outside February.

Point "cash" (Cash, Lviv oblast) has no survey: three ratings (4, 4, 1) in February.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import Channel, Language
from storage.models import FeedbackPoint
from storage.services.feedback_points import FeedbackPointService
from storage.services.ratings import RatingService
from storage.surveys import Choice, Demographic, Question, QuestionKind, Survey

UK, RU, EN = Language.UK, Language.RU, Language.EN
FEBRUARY = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
FIRST, LAST = date(2026, 2, 1), date(2026, 2, 28)

SURVEY = Survey(
    (
        Question(
            "satisfaction",
            QuestionKind.SCALE,
            {UK: "Наскільки ви задоволені?", RU: "Насколько вы довольны?", EN: "How satisfied?"},
            required=False,
            minimum=1,
            maximum=5,
        ),
        Question(
            "enough",
            QuestionKind.YES_NO,
            {UK: "Чи було достатньо?", RU: "Было ли достаточно?", EN: "Was it enough?"},
            choices=(
                Choice("yes", {UK: "Так", RU: "Да", EN: "Yes"}),
                Choice("no", {UK: "Ні", RU: "Нет", EN: "No"}),
            ),
        ),
        Question(
            "sex",
            QuestionKind.CHOICE,
            {UK: "Стать", RU: "Пол", EN: "Sex"},
            choices=(
                Choice("female", {UK: "Жінка", RU: "Женщина", EN: "Female"}),
                Choice("male", {UK: "Чоловік", RU: "Мужчина", EN: "Male"}),
            ),
            demographic=Demographic.SEX,
        ),
        Question(
            "words",
            QuestionKind.TEXT,
            {UK: "Що ще?", RU: "Что ещё?", EN: "Anything else?"},
        ),
    )
)

ROWS: list[tuple[int | None, str | None, str, str | None]] = [
    (5, "yes", "female", "Дякую"),
    (5, "yes", "female", None),
    (4, "yes", "female", None),
    (4, "no", "female", "Черга"),
    (4, "yes", "female", None),
    (3, "no", "female", None),
    (2, "no", "male", None),
    (1, "no", "male", None),
    (5, "yes", "female", None),
    (4, None, "male", None),
    (None, None, "male", None),
    (None, None, "female", None),
]


@dataclass(frozen=True)
class Seeded:
    food: str  # the points' codes
    cash: str


def answers_of(row: tuple[int | None, str | None, str, str | None]) -> dict[str, str | int | None]:
    score, enough, sex, words = row
    return {"satisfaction": score, "enough": enough, "sex": sex, "words": words}


async def make_point(
    core: Core,
    actor: Actor,
    survey: Survey | None,
    *,
    name: str,
    programme: str,
    oblast: str,
    active_from: date,
    active_until: date | None = None,
    site: str | None = None,
    served: int | None = None,
) -> str:
    async with core.database.transaction() as session:
        service = FeedbackPointService(session, core)
        point = await service.create(
            actor,
            name=name,
            programme=programme,
            oblast=oblast,
            site=site,
            active_from=active_from,
            active_until=active_until,
            served=served,
        )
        if survey is not None:
            await service.set_survey(actor, point.code, survey)
        return point.code


async def answer(
    core: Core, code: str, answers: dict[str, str | int | None], language: Language = UK
) -> None:
    async with core.database.transaction() as session:
        service = FeedbackPointService(session, core)
        point: FeedbackPoint = await service.get(code)
        await service.record_response(point, answers, language=language, channel=Channel.TELEGRAM)


async def rate(core: Core, code: str, score: int) -> None:
    async with core.database.transaction() as session:
        point = await FeedbackPointService(session, core).get(code)
        await RatingService(session, core).rate_assistance(
            programme=None, score=score, language=UK, feedback_point=point
        )


async def seed(core: Core, clock: FrozenClock, actor: Actor) -> Seeded:
    food = await make_point(
        core,
        actor,
        SURVEY,
        name="Food kits, Saltivka",
        programme="food",
        oblast="UA-63",
        site="School 12",
        active_from=date(2026, 1, 15),
        served=40,
    )
    cash = await make_point(
        core,
        actor,
        None,
        name="Cash desk",
        programme="cash",
        oblast="UA-46",
        active_from=date(2026, 2, 1),
        active_until=date(2026, 2, 20),
    )
    for i, row in enumerate(ROWS):
        clock.set(FEBRUARY + timedelta(hours=i))
        await answer(core, food, answers_of(row), UK if i % 2 else RU)
    clock.set(datetime(2026, 2, 28, 23, 30, tzinfo=UTC))  # 1 March in Kyiv
    await answer(core, food, answers_of((1, "no", "male", "Пізно")))
    for i, score in enumerate([5, 2]):
        clock.set(FEBRUARY + timedelta(days=1, hours=i))
        await rate(core, food, score)
    for i, score in enumerate([4, 4, 1]):
        clock.set(FEBRUARY + timedelta(days=2, hours=i))
        await rate(core, cash, score)
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    return Seeded(food, cash)
