"""The feedback points' results on both engines against the figures worked out by hand
in tests/storage/feedback_seed.py: per question, the ratings at a point, the filters,
text answers by role, demographic suppression, the responses export's columns and the
monthly workbook's sheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.errors import FeedbackPointNotFound
from storage.repositories.day_counts import DayCountRepository
from storage.services.day_counts import rebuild
from storage.services.exports import ExportFormat, ExportKind, ExportRequest, ExportService
from storage.services.feedback_export import start_feedback
from storage.services.feedback_results import FeedbackResultsService, PointResults
from storage.services.monthly_report import MonthlyReport
from storage.survey_results import Bar, Pool, QuestionFigures
from tests.storage.feedback_seed import FIRST, LAST, Seeded, seed
from tests.storage.helpers import make_staff


class English:
    def gettext(self, message: str, /) -> str:
        return message

    def pgettext(self, context: str, message: str, /) -> object:
        return message


async def point(core: Core, actor: Actor, code: str, first: date = FIRST) -> PointResults:
    async with core.database.read_only() as session:
        service = FeedbackResultsService(session, core)
        return await service.point(actor, code, service.period(first, LAST))


def questions(result: PointResults) -> list[QuestionFigures]:
    assert result.figures is not None
    return result.figures.questions


@pytest.fixture
async def world(core: Core, clock: FrozenClock) -> tuple[Seeded, Actor, Actor, Actor]:
    analyst = await make_staff(core, "analyst", "analyst")
    operator = await make_staff(core, "operator", "operator")
    focal = await make_staff(core, "focal", "focal_point")
    return await seed(core, clock, analyst), analyst, operator, focal


async def test_a_points_figures_by_hand(
    core: Core, world: tuple[Seeded, Actor, Actor, Actor]
) -> None:
    seeded, analyst, _operator, _focal = world
    result = await point(core, analyst, seeded.food)
    assert result.point.name == "Food kits, Saltivka"
    assert result.responses == 12  # the 1 March one is outside February
    assert result.response_rate == 0.3
    assert result.ratings.count == 2 and result.ratings.mean == 3.5
    assert result.ratings.share_satisfied == 0.5
    assert result.figures is not None
    scale, enough, sex, words = result.figures.questions
    assert scale.answered == 10
    assert [(b.key, b.count) for b in scale.distribution] == [
        ("1", 1),
        ("2", 1),
        ("3", 1),
        ("4", 4),
        ("5", 3),
    ]
    assert (scale.mean, scale.satisfied, scale.share_satisfied) == (3.7, 7, 0.7)
    assert enough.distribution == [Bar("yes", 5, 0.5556), Bar("no", 4, 0.4444)]
    # Sex: 8 women and 4 men; the men are below 5, so both are counted only together.
    assert sex.distribution == [Bar("female", None), Bar("male", None)]
    assert sex.pool == Pool(["female", "male"], 12)
    (by_sex,) = scale.crossings
    assert [(r.key, r.count, r.mean, r.members) for r in by_sex.rows] == [
        ("other", 10, 3.7, ["female", "male"])
    ]
    # An analyst gets the text answers counted, never read.
    assert words.answered == 2 and words.texts is None
    assert not result.texts_shown


async def test_text_answers_are_read_by_case_workers_only(
    core: Core, world: tuple[Seeded, Actor, Actor, Actor]
) -> None:
    seeded, _analyst, operator, focal = world
    for reader in (operator, focal):
        words = questions(await point(core, reader, seeded.food))[3]
        assert words.answered == 2
        assert sorted(words.texts or []) == ["Дякую", "Черга"]
    admin = await make_staff(core, "admin", "admin")
    words = questions(await point(core, admin, seeded.food))[3]
    assert words.texts is None and words.answered == 2


async def test_a_point_without_a_survey_has_its_ratings_only(
    core: Core, world: tuple[Seeded, Actor, Actor, Actor]
) -> None:
    seeded, analyst, _operator, _focal = world
    result = await point(core, analyst, seeded.cash)
    assert result.figures is None and result.responses == 0
    assert result.ratings.count == 3 and result.ratings.mean == 3.0
    assert result.ratings.distribution == {"1": 1, "2": 0, "3": 0, "4": 2, "5": 0}
    assert result.response_rate is None  # it does not say how many it serves
    with pytest.raises(FeedbackPointNotFound):
        await point(core, analyst, "ZZZZZZ")


async def test_the_period_and_the_filters(
    core: Core, world: tuple[Seeded, Actor, Actor, Actor]
) -> None:
    seeded, analyst, _operator, _focal = world
    async with core.database.read_only() as session:
        service = FeedbackResultsService(session, core)
        february = service.period(FIRST, LAST)
        both = await service.report(analyst, february)
        assert sorted(p.point.code for p in both.points) == sorted([seeded.food, seeded.cash])
        food = await service.report(analyst, february, programme="food")
        assert [p.point.code for p in food.points] == [seeded.food]
        lviv = await service.report(analyst, february, oblast="UA-46")
        assert [p.point.code for p in lviv.points] == [seeded.cash]
        # March: the cash desk had closed; the food point's one March response.
        march = await service.report(analyst, service.period(date(2026, 3, 1), date(2026, 3, 2)))
        assert [(p.point.code, p.responses) for p in march.points] == [(seeded.food, 1)]


async def test_with_five_in_each_group_the_crossing_shows_each(
    core: Core, clock: FrozenClock, world: tuple[Seeded, Actor, Actor, Actor]
) -> None:
    from tests.storage.feedback_seed import FEBRUARY, answer, answers_of

    seeded, analyst, _operator, _focal = world
    # Two more men who give 4: men are now 6 (5 with a score: 2, 1, 4, 4, 4).
    clock.set(FEBRUARY.replace(day=20))
    for _ in range(2):
        await answer(core, seeded.food, answers_of((4, "yes", "male", None)))
    result = await point(core, analyst, seeded.food)
    assert result.figures is not None
    scale, _enough, sex, _words = result.figures.questions
    rows = {r.key: r for r in scale.crossings[0].rows}
    assert (rows["female"].count, rows["female"].mean) == (7, 4.29)
    assert (rows["male"].count, rows["male"].mean) == (5, 3.0)
    # 7 and 5 are below the share's base of 10: no share satisfied per group.
    assert rows["female"].share_satisfied is None
    assert sex.distribution == [Bar("female", 8, 0.57), Bar("male", 6, 0.43)]


async def test_the_responses_export_has_a_column_per_question(
    core: Core, world: tuple[Seeded, Actor, Actor, Actor], tmp_path: Path
) -> None:
    seeded, analyst, operator, _focal = world
    service = ExportService(core)
    for actor, fmt in ((analyst, ExportFormat.CSV), (operator, ExportFormat.XLSX)):
        async with core.database.transaction() as session:
            period = FeedbackResultsService(session, core).period(FIRST, LAST)
            request = ExportRequest(ExportKind.FEEDBACK, period, lang="uk", point=seeded.food)
            export = await start_feedback(service, session, actor, request, fmt, English())
        target = tmp_path / f"{actor.username}.{fmt.value}"
        await export.write(target)
        if fmt is ExportFormat.CSV:
            rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"))))
        else:
            sheet = load_workbook(target).active
            assert sheet is not None
            rows = [
                ["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)
            ]
        header, body = rows[0], rows[1:]
        assert len(body) == 12
        # The survey's labels in the file's language, each coded question's code beside it.
        questions = header[header.index("Channel code") + 1 :]
        expected = ["Наскільки ви задоволені?", "satisfaction", "Чи було достатньо?", "enough"]
        expected += ["Стать", "sex"]
        if actor is operator:
            expected.append("Що ще?")  # the words: for case workers only
        assert questions == expected
        first = dict(zip(header, body[0], strict=True))
        assert first["Feedback point code"] == seeded.food
        assert first["Oblast code"] == "UA-63"
        assert first["Стать"] == "Жінка" and first["sex"] == "female"
        assert first["Чи було достатньо?"] == "Так" and first["enough"] == "yes"
        assert first["Наскільки ви задоволені?"] == "5"
        if actor is operator:
            assert first["Що ще?"] == "Дякую"
        scores = [
            int(r[header.index("satisfaction")]) for r in body if r[header.index("satisfaction")]
        ]
        assert sorted(scores) == [1, 2, 3, 4, 4, 4, 4, 5, 5, 5]


async def test_the_workbook_has_a_feedback_points_sheet(
    core: Core, world: tuple[Seeded, Actor, Actor, Actor], tmp_path: Path
) -> None:
    seeded, _analyst, _operator, _focal = world
    target = tmp_path / "february.xlsx"
    built = await MonthlyReport(core).build(date(2026, 2, 1), target)
    assert "Feedback points" in built.sheets
    sheet = load_workbook(target)["Feedback points"]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:6] == ("Feedback point", "Code", "Programme", "Oblast", "Question", "Answers")
    by = {(r[1], r[4]): r for r in rows[1:]}
    responses = by[(seeded.food, "Survey responses")]
    assert responses[5] == 12 and responses[8] == 0.3  # 12 of 40, to whole percent
    scale = by[(seeded.food, "How satisfied?")]
    assert scale[5:8] == (10, 3.7, 0.7)
    # Two ratings at the food point: below 5, no mean or share.
    assert by[(seeded.food, "Satisfaction ratings")][5:8] == ("<5", None, None)
    assert by[(seeded.cash, "Satisfaction ratings")][5:8] == ("<5", None, None)
    assert (seeded.cash, "Survey responses") not in by  # it asks no survey
    # Unsuppressed (internal use), the two ratings are shown.
    raw = tmp_path / "raw.xlsx"
    await MonthlyReport(core, suppressed=False).build(date(2026, 2, 1), raw)
    rows = list(load_workbook(raw)["Feedback points"].iter_rows(values_only=True))
    ratings = next(r for r in rows if r[1] == seeded.food and r[4] == "Satisfaction ratings")
    assert ratings[5:8] == (2, 3.5, 0.5)


async def test_the_daily_counts_and_the_answers_give_the_same_figures(
    core: Core, world: tuple[Seeded, Actor, Actor, Actor]
) -> None:
    """Before the daily counts are built, the answers themselves are counted; once built
    (the scheduler's first round, or holos stats rebuild), the days answer (a year reads
    days, not every answer). The figures are the same either way."""
    seeded, analyst, _operator, focal = world
    async with core.database.read_only() as session:
        assert not await DayCountRepository(session).built(core.settings.timezone)
    from_answers = [await point(core, who, seeded.food) for who in (analyst, focal)]
    await rebuild(core)
    async with core.database.read_only() as session:
        assert await DayCountRepository(session).built(core.settings.timezone)
    from_days = [await point(core, who, seeded.food) for who in (analyst, focal)]
    assert from_days == from_answers
    assert from_days[0].responses == 12
    cash = await point(core, analyst, seeded.cash)
    assert cash.ratings.count == 3 and cash.ratings.distribution["4"] == 2


async def test_crossings_and_ratings_from_the_days_as_from_the_answers(
    core: Core, clock: FrozenClock, world: tuple[Seeded, Actor, Actor, Actor]
) -> None:
    """The scale crossed with sex, suppression included, and the ratings at the point:
    from the daily counts (built, then kept by the writer: answers and ratings given
    after the build) as from the rows; and read from the days indeed, not the rows."""
    from sqlalchemy import delete

    from storage.models import DayCountState, Rating, SurveyAnswer
    from tests.storage.feedback_seed import FEBRUARY, answer, answers_of, rate

    seeded, analyst, _operator, focal = world
    await rebuild(core)
    pooled = await point(core, analyst, seeded.food)
    (by_sex,) = questions(pooled)[0].crossings
    assert [(r.key, r.count, r.members) for r in by_sex.rows] == [("other", 10, ["female", "male"])]
    # Two more men who give 4, and three ratings, after the build: the writer's rows.
    clock.set(FEBRUARY.replace(day=20))
    for _ in range(2):
        await answer(core, seeded.food, answers_of((4, "yes", "male", None)))
    for score in (1, 4, 5):
        await rate(core, seeded.food, score)
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    from_days = [await point(core, who, seeded.food) for who in (analyst, focal)]
    rows = {r.key: r for r in questions(from_days[0])[0].crossings[0].rows}
    assert (rows["female"].count, rows["female"].mean) == (7, 4.29)
    assert (rows["male"].count, rows["male"].mean) == (5, 3.0)
    assert from_days[0].ratings.count == 5 and from_days[0].ratings.mean == 3.4
    # Without the days (dropped: as before a build), the rows give the same figures.
    async with core.database.transaction() as session:
        await session.execute(delete(DayCountState))
    from_answers = [await point(core, who, seeded.food) for who in (analyst, focal)]
    assert from_answers == from_days
    # Built again, the days answer even with the rows gone around the ORM.
    await rebuild(core)
    async with core.database.transaction() as session:
        await session.execute(delete(Rating))
        await session.execute(delete(SurveyAnswer).where(SurveyAnswer.question == "sex"))
    assert await point(core, analyst, seeded.food) == from_days[0]
