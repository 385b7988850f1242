"""The daily counts (storage.day_counts) against a recount, on both engines.

Two checks after every step: the tables' sums equal the keys computed afresh from the
cases and ratings as they stand (``_recount``), and every report the dashboard, the
API and the workbook ask for is the same from the days as counted from the cases
(``use_days=False``), medians and percentiles included, for each role and grouping.

The history is random but seeded, written through the ORM as the services write it:
cases created (odd microseconds, on Kyiv months' edges), acknowledged, resolved,
closed with an outcome, referred, reopened, put on hold, closed as duplicates, given a
handling score, reclassified into the sealed channel; ratings with and without
reasons, some at feedback points; survey responses whose scores cross with choices
(answers added with their response, and later by its id alone); the content purge,
which empties cases and must not change a figure.

Every report is compared once per test over every view; after a step that can change
only what the clock or a fold touches, over the totals and by month.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage import day_counts
from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import ActorKind, Outcome, RatingKind, Role, Status
from storage.models import (
    Case,
    CaseDayCount,
    CaseDayTime,
    FeedbackPoint,
    Rating,
    RatingDayCount,
    SurveyAnswer,
    SurveyDayCount,
    SurveyDayCrossing,
    SurveyResponse,
)
from storage.periods import Period, local_midnight
from storage.repositories.day_counts import DayCountRepository
from storage.repositories.feedback_results import FeedbackResultsRepository
from storage.repositories.filters import CaseFilter
from storage.services.monthly_report import MonthlyReport
from storage.services.stats import GROUP_BY, StatsService
from tests.storage.test_stats_sql import _seed

KYIV = ZoneInfo("Europe/Kyiv")
PERIOD = Period(date(2025, 10, 10), date(2026, 4, 12), KYIV)
WHOLE = Period(date(2025, 11, 1), date(2026, 3, 31), KYIV)
NOW = datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=UTC)
ROLES = (Role.FOCAL_POINT, Role.ANALYST, Role.OPERATOR)
STANDARD = ("assistance_quality", "selection_process", "staff_conduct", "suggestion")
SENSITIVE = ("fraud_corruption", "sexual_exploitation")


async def _recount(core: Core) -> None:
    """The tables' sums are the keys of the cases and ratings as they stand."""
    expected: dict[Any, Counter[tuple[Any, ...]]] = {
        CaseDayCount: Counter(),
        CaseDayTime: Counter(),
        RatingDayCount: Counter(),
    }
    async with core.database.read_only() as session:
        columns = [getattr(Case, n) for n in day_counts.CASE_COLUMNS]
        for row in (await session.execute(select(*columns))).mappings():
            counts, times = day_counts.case_rows(dict(row), KYIV)
            expected[CaseDayCount].update(counts)
            expected[CaseDayTime].update(times)
        rated = select(*(getattr(Rating, n) for n in day_counts.RATING_COLUMNS))
        for row in (await session.execute(rated)).mappings():
            expected[RatingDayCount].update(day_counts.rating_rows(dict(row), KYIV))
        for model, names in (
            (CaseDayCount, day_counts.COUNT_KEY),
            (CaseDayTime, day_counts.TIME_KEY),
            (RatingDayCount, day_counts.RATING_KEY),
        ):
            keys = [model.grain, *(getattr(model, n) for n in names)]
            stored = (
                await session.execute(
                    select(*keys, func.sum(model.n)).group_by(*keys).having(func.sum(model.n) != 0)
                )
            ).all()
            found = {tuple(_plain(v) for v in row[:-1]): int(row[-1]) for row in stored}
            want = {tuple(_plain(v) for v in k): n for k, n in expected[model].items() if n}
            assert found == want, model.__tablename__
        # Survey responses: per day, point, language and channel, and answers by value;
        # each scored answer crossed with each choice answered in the same response.
        surveys: Counter[tuple[Any, ...]] = Counter()
        crossed: Counter[tuple[Any, ...]] = Counter()
        for response in (await session.scalars(select(SurveyResponse))).all():
            values = {n: getattr(response, n) for n in day_counts.RESPONSE_COLUMNS}
            answers = [
                {"question": a.question, "value": a.value, "number": a.number}
                for a in response.answers
            ]
            surveys.update(day_counts.survey_rows(values, answers, KYIV))
            crossed.update(day_counts.crossing_rows(values, answers, KYIV))
        for model, names, want_rows in (
            (SurveyDayCount, day_counts.SURVEY_KEY, surveys),
            (SurveyDayCrossing, day_counts.CROSSING_KEY, crossed),
        ):
            keys = [getattr(model, n) for n in names]
            stored = (
                await session.execute(
                    select(*keys, func.sum(model.n)).group_by(*keys).having(func.sum(model.n) != 0)
                )
            ).all()
            assert {tuple(_plain(v) for v in r[:-1]): int(r[-1]) for r in stored} == {
                tuple(_plain(v) for v in k): n for k, n in want_rows.items() if n
            }, model.__tablename__


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


# What a clock advance or a fold can change: the totals and their months (the flags
# deadlines turn on, the rows' sums); the other groupings read the same rows by another
# key, compared in full once per test.
TOTALS = (None, "month")


async def _reports_agree(
    core: Core, *, filters: bool = True, groupings: tuple[str | None, ...] = (None, *GROUP_BY)
) -> int:
    """Every report from the days equals the one counted from the cases; returns how
    many cases the widest one received (so the caller knows the data reached it)."""
    widest = 0
    views: list[tuple[Role, CaseFilter, Period, str | None]] = []
    for role in ROLES:
        periods = (PERIOD, WHOLE) if role is Role.ANALYST else (PERIOD,)
        for period in periods:
            for group_by in groupings:
                views.append((role, CaseFilter(), period, group_by))
    if filters:
        for flt in (
            CaseFilter(categories=("assistance_quality",)),
            CaseFilter(oblasts=("UA-32",)),
            CaseFilter(programmes=("shelter",)),
            CaseFilter(programmes=("shelter",), oblasts=("UA-32",)),
            CaseFilter(sensitive=False),
        ):
            views.append((Role.FOCAL_POINT, flt, PERIOD, "oblast"))
            views.append((Role.ANALYST, flt, WHOLE, "month"))
    for role, flt, period, group_by in views:
        actor = Actor(ActorKind.SYSTEM, role=role)
        async with core.database.read_only() as session:
            assert await DayCountRepository(session).built(core.settings.timezone)
            days = await StatsService(session, core).report(
                actor, flt, period, group_by=group_by, months=True
            )
            cases = await StatsService(session, core, use_days=False).report(
                actor, flt, period, group_by=group_by, months=True
            )
        assert days == cases, (role, flt, period, group_by)
        widest = max(widest, days.cases.received)
    return widest


async def _rebuild(core: Core) -> None:
    async with core.database.transaction() as session:
        await DayCountRepository(session).rebuild(KYIV, core.clock.now())


async def test_rebuilt_days_give_the_same_reports(core: Core, clock: FrozenClock) -> None:
    """Over test_stats_sql's data (odd microseconds, months' edges, deadlines still
    running, empty programmes, handling scores), built in one go."""
    clock.advance(NOW - clock.now())
    await _seed(core)
    points = await _points(core)
    rng = random.Random(7)
    async with core.database.transaction() as session:
        session.add_all([_response(rng, points) for _ in range(60)])
        session.add_all([_rating(rng, points) for _ in range(40)])
    # The monthly workbook, counted from the cases (the days are not built yet) ...
    workbook = await MonthlyReport(core, suppressed=False).content(date(2026, 3, 1))
    await _rebuild(core)
    # ... and from the days: every cell the same.
    assert await MonthlyReport(core, suppressed=False).content(date(2026, 3, 1)) == workbook
    await _recount(core)
    assert await _reports_agree(core) > 100
    # A point's responses and answers over a period, from the days and from the rows.
    async with core.database.read_only() as session:
        counted = await DayCountRepository(session).survey_counts(points, PERIOD.first, PERIOD.last)
        rows = (
            await session.execute(
                select(SurveyResponse.point_id, SurveyAnswer.question, SurveyAnswer.value)
                .join(SurveyAnswer)
                .where(
                    SurveyResponse.created_at >= PERIOD.start,
                    SurveyResponse.created_at < PERIOD.end,
                )
            )
        ).all()
        responses = (
            await session.execute(
                select(SurveyResponse.point_id, func.count())
                .where(
                    SurveyResponse.created_at >= PERIOD.start,
                    SurveyResponse.created_at < PERIOD.end,
                )
                .group_by(SurveyResponse.point_id)
            )
        ).all()
    want: Counter[tuple[Any, ...]] = Counter()
    for point, question, value in rows:
        want[(point, question, value)] += 1
    for point, n in responses:
        want[(point, None, None)] += n
    assert {(p, q, v): int(n) for p, q, v, n in counted} == dict(want)
    assert sum(int(n) for _p, q, _v, n in counted if q is None) > 20
    await _points_agree(core, points)
    # Later the same day, and on a later day: the flags deadlines turn on follow the clock.
    for later in (timedelta(hours=7), timedelta(days=3, hours=2)):
        clock.advance(later)
        assert await _reports_agree(core, filters=False, groupings=TOTALS) > 100
    # Folding keeps every sum.
    async with core.database.transaction() as session:
        await DayCountRepository(session).fold()
    await _recount(core)
    assert await _reports_agree(core, filters=False, groupings=TOTALS) > 100
    await _points_agree(core, points)


async def _points_agree(core: Core, points: list[int]) -> None:
    """The points' crossings and ratings over a cut period and whole months, from the
    days as from the answers and ratings (figures the service reads either way)."""
    async with core.database.read_only() as session:
        days = DayCountRepository(session)
        rows = FeedbackResultsRepository(session)
        for period in (PERIOD, WHOLE):
            for demographic in (["sex"], ["q2", "sex"]):
                crossed = await days.survey_crossings(
                    points, period.first, period.last, demographic
                )
                raw = await rows.crossed(points, period.start, period.end, demographic)
                assert sorted(map(tuple, crossed)) == sorted(map(tuple, raw))
                assert {r[2] for r in crossed} == set(demographic)
                assert sum(r[-1] for r in crossed) > 10
            rated = await days.point_ratings(points, period.first, period.last)
            raw = await rows.rating_counts(points, period.start, period.end)
            assert sorted(map(tuple, rated)) == sorted(map(tuple, raw))
            assert sum(r[-1] for r in rated) > 5


def _instant(rng: random.Random) -> datetime:
    if rng.random() < 0.2:
        edge = local_midnight(
            rng.choice([date(2025, 11, 1), date(2026, 1, 1), date(2026, 3, 1)]), KYIV
        )
        return edge - timedelta(microseconds=rng.choice((1, 0)))
    span = int((PERIOD.end - PERIOD.start).total_seconds())
    return PERIOD.start + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(10**6))


def _new_case(rng: random.Random, n: int) -> Case:
    created = _instant(rng)
    sensitive = rng.random() < 0.15
    return Case(
        ref=f"HL-T-{n:06d}",
        receipt_hash=f"{n:064d}",
        category=rng.choice(SENSITIVE if sensitive else STANDARD),
        sensitive=sensitive,
        priority="urgent" if sensitive else "normal",
        status=Status.NEW,
        oblast=rng.choice(("UA-32", "UA-46", "UA-63")),
        programme=rng.choice(("shelter", "cash", None)),
        language=rng.choice(("uk", "ru", "en")),
        channel=rng.choice(("telegram", "hotline")),
        contact_mode="anonymous",
        narrative=None if sensitive else "текст",
        created_at=created,
        updated_at=created,
        public_updated_at=created,
        # Some deadlines fall on NOW's day, before and after NOW.
        acknowledge_due_at=NOW - timedelta(minutes=rng.randrange(-600, 600))
        if rng.random() < 0.1
        else created + timedelta(hours=rng.choice((24, 72))),
        resolve_due_at=NOW - timedelta(minutes=rng.randrange(-600, 600))
        if rng.random() < 0.1
        else created + timedelta(days=rng.choice((7, 30))),
    )


def _after(rng: random.Random, start: datetime) -> datetime:
    # Coarse times too, so that medians fall between two shown values and within one.
    if rng.random() < 0.5:
        return start + timedelta(minutes=rng.choice((30, 60, 90, 600)))
    return start + timedelta(seconds=rng.uniform(0, 200 * 3600))


def _step(rng: random.Random, case: Case) -> None:
    """One change a service makes to a case."""
    choice = rng.randrange(9)
    if choice == 0 and case.acknowledged_at is None:
        case.status = Status.ACKNOWLEDGED
        case.acknowledged_at = _after(rng, case.created_at)
    elif choice == 1:
        case.status = Status.RESOLVED
        case.acknowledged_at = case.acknowledged_at or _after(rng, case.created_at)
        case.resolved_at = _after(rng, case.acknowledged_at)
    elif choice == 2:
        case.status = Status.CLOSED
        case.outcome = rng.choice(list(Outcome))
        case.resolved_at = case.resolved_at or _after(rng, case.created_at)
        case.handling_score = rng.choice((None, 1, 4, 5))
    elif choice == 3:  # reopened
        case.status = Status.IN_PROGRESS
        case.resolved_at = None
        case.outcome = None
    elif choice == 4:
        case.status = Status.WAITING
        case.resolve_due_at = case.resolve_due_at + timedelta(days=2)
    elif choice == 5:  # reclassified into the sealed channel
        case.sensitive = True
        case.category = rng.choice(SENSITIVE)
        case.narrative = None
    elif choice == 6:
        case.referral_target_id = rng.choice((1, 2, None))
        case.status = Status.REFERRED
    elif choice == 7:
        case.duplicate_of_id = rng.choice((None, 1))
    else:
        case.oblast = rng.choice(("UA-32", "UA-46"))
        case.programme = rng.choice(("shelter", None))


async def _points(core: Core) -> list[int]:
    async with core.database.transaction() as session:
        points = [
            FeedbackPoint(
                code=f"P{n}",
                name=f"Point {n}",
                programme="shelter",
                oblast="UA-32",
                active_from=date(2025, 10, 1),
                created_at=NOW,
                updated_at=NOW,
            )
            for n in range(3)
        ]
        session.add_all(points)
        await session.flush()
        return [p.id for p in points]


def _response(rng: random.Random, points: list[int]) -> SurveyResponse:
    """A 1–5 score (q1), yes or no (q2), sex (a demographic choice), words (q3); all
    but the score sometimes skipped."""
    response = SurveyResponse(
        point_id=rng.choice(points),
        created_at=_instant(rng),
        language=rng.choice(("uk", "ru")),
        channel=rng.choice(("telegram", "web")),
    )
    score = rng.randint(1, 5)
    answers = [SurveyAnswer(question="q1", value=str(score), number=score)]
    if rng.random() < 0.8:
        answers.append(SurveyAnswer(question="q2", value=rng.choice(("yes", "no"))))
    if rng.random() < 0.9:
        answers.append(SurveyAnswer(question="sex", value=rng.choice(("f", "m"))))
    if rng.random() < 0.5:
        answers.append(SurveyAnswer(question="q3", value=None, text="добре"))
    response.answers = answers
    return response


def _rating(rng: random.Random, points: list[int]) -> Rating:
    """A rating, at a feedback point or not."""
    return Rating(
        kind=rng.choice(list(RatingKind)),
        created_at=_instant(rng),
        programme=rng.choice(("shelter", "cash", None)),
        score=rng.randint(1, 5),
        reasons=rng.choice(([], ["timely"], ["clear", "complete"])),
        language=rng.choice(("uk", "ru", "en")),
        channel="telegram",
        feedback_point_id=rng.choice((*points, None, None)),
    )


async def test_the_writer_keeps_the_days_through_a_random_history(
    core: Core, clock: FrozenClock
) -> None:
    clock.advance(NOW - clock.now())
    await _rebuild(core)  # an empty database: built at once
    rng = random.Random(20261206)
    points = await _points(core)
    ids: list[int] = []
    later: list[int] = []  # a response given its sex in the next step's transaction
    made = 0
    for step in range(14):
        async with core.database.transaction() as session:
            for _ in range(rng.randrange(5, 25)):
                made += 1
                case = _new_case(rng, made)
                session.add(case)
                if rng.random() < 0.5:
                    await session.flush()  # changed again in the same transaction
                    _step(rng, case)
            for case_id in rng.sample(ids, min(len(ids), rng.randrange(0, 30))):
                case = await session.get(Case, case_id)
                assert case is not None
                for _ in range(rng.randrange(1, 3)):
                    _step(rng, case)
                    if rng.random() < 0.3:
                        await session.flush()
            for _ in range(rng.randrange(0, 6)):
                session.add(_response(rng, points))
            for response_id in later:  # the last step's response: its sex, now
                session.add(SurveyAnswer(response_id=response_id, question="sex", value="f"))
            later = []
            if rng.random() < 0.5:  # answers added by their response's id alone
                response = _response(rng, points)
                response.answers = response.answers[:1]  # the score
                session.add(response)
                await session.flush()
                session.add(SurveyAnswer(response_id=response.id, question="q2", value="yes"))
                later.append(response.id)
            for _ in range(rng.randrange(0, 12)):
                session.add(_rating(rng, points))
        async with core.database.read_only() as session:
            ids = list((await session.scalars(select(Case.id))).all())
        await _recount(core)
        if step in (3, 7):
            assert await _reports_agree(core, filters=False, groupings=TOTALS) > 0
        if step == 7:
            async with core.database.transaction() as session:
                assert await DayCountRepository(session).fold() > 0
            async with core.database.transaction() as session:
                assert await DayCountRepository(session).fold() == 0  # nothing new
            await _recount(core)
    # The content purge (retention) empties cases with a bulk write: no figure moves.
    from storage.repositories.retention import RetentionRepository

    async with core.database.transaction() as session:
        await RetentionRepository(session).clear_narratives(ids[:20], NOW)
    await _recount(core)
    assert await _reports_agree(core) > 50
    await _points_agree(core, points)


async def test_a_bulk_write_is_not_counted_until_rebuilt(core: Core, clock: FrozenClock) -> None:
    """Rows written around the ORM (the bench's seeder) leave the days unbuilt: figures
    are counted from the cases until ``holos stats rebuild``."""
    clock.advance(NOW - clock.now())
    async with core.database.read_only() as session:
        assert not await DayCountRepository(session).built(core.settings.timezone)
    await _seed(core)
    async with core.database.read_only() as session:
        assert not await DayCountRepository(session).built(core.settings.timezone)
    await _rebuild(core)
    async with core.database.read_only() as session:
        assert await DayCountRepository(session).built(core.settings.timezone)
        assert not await DayCountRepository(session).built("Europe/Warsaw")
    await _recount(core)


async def test_the_scheduler_builds_the_days_then_folds_them(
    core: Core, clock: FrozenClock
) -> None:
    """The scheduler's round (storage.services.day_counts.keep): a database without the
    days gets them built; afterwards each round folds what writers appended."""
    from storage.services.day_counts import keep

    clock.advance(NOW - clock.now())
    await _seed(core)  # around the ORM: not counted yet
    assert await keep(core) == 0
    async with core.database.read_only() as session:
        assert await DayCountRepository(session).built(core.settings.timezone)
    await _recount(core)
    rng = random.Random(3)
    async with core.database.transaction() as session:
        ids = list((await session.scalars(select(Case.id).limit(40))).all())
        for case_id in ids:
            case = await session.get(Case, case_id)
            assert case is not None
            _step(rng, case)
    assert await keep(core) > 0
    await _recount(core)
    assert await _reports_agree(core, filters=False) > 100
