"""Feedback points (issue 24): kept by the M&E side with a short code, opened by a link
only while active, answered anonymously per question against the point's survey, and
the ratings and reports given there tied to the point."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from storage.access import Actor
from storage.core import Core
from storage.enums import (
    Channel,
    Language,
    PointUnavailableReason,
    SurveyAnswerProblem,
)
from storage.errors import (
    FeedbackPointNotFound,
    FeedbackPointUnavailable,
    InvalidFeedbackPoint,
    InvalidSurveyAnswer,
    PermissionDenied,
    UnknownOblast,
    UnknownProgramme,
)
from storage.models import AuditEvent, Case, FeedbackPoint, Rating, SurveyAnswer, SurveyResponse
from storage.services.feedback_points import (
    CODE_ALPHABET,
    MAX_TEXT_ANSWER_CHARS,
    FeedbackPointService,
    canonical_code,
    deep_link,
    web_link,
)
from storage.services.ratings import RatingService
from storage.surveys import (
    Choice,
    Demographic,
    Question,
    QuestionKind,
    Relevance,
    Survey,
    SurveyRefused,
)
from tests.storage.helpers import make_staff, submit

UK, EN = Language.UK, Language.EN

SURVEY = Survey(
    questions=(
        Question("intro", QuestionKind.NOTE, {EN: "Three questions"}),
        Question("satisfied", QuestionKind.SCALE, {EN: "How satisfied?"}, required=True),
        Question(
            "got_all",
            QuestionKind.YES_NO,
            {EN: "Did you get everything?"},
            # A yes/no question always carries its two choices (check_survey insists).
            choices=(Choice("yes", {EN: "Yes"}), Choice("no", {EN: "No"})),
        ),
        Question(
            "missing",
            QuestionKind.CHOICE,
            {EN: "What was missing?"},
            required=True,
            choices=(Choice("food", {EN: "Food"}), Choice("hygiene", {EN: "Hygiene kit"})),
            relevant=Relevance("got_all", "no"),
        ),
        Question("wait", QuestionKind.SCALE, {EN: "Waiting time"}, minimum=2, maximum=4),
        Question("comment", QuestionKind.TEXT, {EN: "Anything else?"}),
    )
)


@pytest.fixture
async def analyst(core: Core) -> Actor:
    return await make_staff(core, "anna", "analyst")


async def create(core: Core, actor: Actor, **overrides: object) -> FeedbackPoint:
    values: dict[str, object] = {
        "name": "Distribution, school 4",
        "programme": "cash",
        "oblast": "UA-63",
        "site": "Saltivka",
        "active_from": date(2026, 3, 1),
        "active_until": date(2026, 3, 31),
        "served": 400,
    }
    values.update(overrides)
    async with core.database.transaction() as session:
        return await FeedbackPointService(session, core).create(actor, **values)  # type: ignore[arg-type]


async def with_survey(core: Core, point: FeedbackPoint, survey: Survey = SURVEY) -> None:
    """The survey stored as set_survey stores it (its checks are tested with the parser)."""
    async with core.database.transaction() as session:
        row = await session.get(FeedbackPoint, point.id)
        assert row is not None
        row.survey = survey.to_json()


async def answer(
    core: Core, code: str, answers: Mapping[str, str | int | None], **kwargs: object
) -> SurveyResponse:
    async with core.database.transaction() as session:
        service = FeedbackPointService(session, core)
        point = await service.open_point(code, date(2026, 3, 2))
        return await service.record_response(
            point,
            answers,
            language=kwargs.get("language", UK),  # type: ignore[arg-type]
            channel=kwargs.get("channel", Channel.TELEGRAM),  # type: ignore[arg-type]
        )


async def stored_answers(core: Core) -> list[tuple[str, str | None, int | None, str | None]]:
    async with core.database.transaction() as session:
        rows = await session.scalars(select(SurveyAnswer).order_by(SurveyAnswer.id))
        return [(a.question, a.value, a.number, a.text) for a in rows]


async def test_a_point_gets_a_short_unambiguous_code_and_is_audited(
    core: Core, analyst: Actor
) -> None:
    point = await create(core, analyst, name="  Distribution, school 4 ", site="  ")
    assert len(point.code) == 6 and set(point.code) <= set(CODE_ALPHABET)
    assert not set(point.code) & set("0O1I")
    assert (point.name, point.site, point.served) == ("Distribution, school 4", None, 400)
    async with core.database.transaction() as session:
        service = FeedbackPointService(session, core)
        # Read case-insensitively, with or without the deep link's prefix.
        assert (await service.get(point.code.lower())).id == point.id
        assert (await service.get(f"fp_{point.code}")).id == point.id
        events = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "feedback_point.created")
            )
        )
    assert [(e.actor_name, e.target) for e in events] == [("anna", f"feedback_point:{point.code}")]
    assert events[0].after is not None and events[0].after["programme"] == "cash"
    assert deep_link("holos_bot", point.code) == f"https://t.me/holos_bot?start=fp_{point.code}"
    assert web_link("https://x.org/", point.code) == f"https://x.org/r/{point.code}"


def test_codes_are_read_leniently_and_nonsense_is_not_a_code() -> None:
    assert canonical_code(" abc234 ") == "ABC234"
    assert canonical_code("FP_ABC234") == "ABC234"
    for wrong in ("ABC23", "ABC2345", "ABC0OI", "AB-234", ""):
        assert canonical_code(wrong) is None


async def test_what_a_point_cannot_be(core: Core, analyst: Actor) -> None:
    with pytest.raises(UnknownProgramme):
        await create(core, analyst, programme="nope")
    with pytest.raises(UnknownOblast):
        await create(core, analyst, oblast="UA-99")
    with pytest.raises(InvalidFeedbackPoint) as closes_first:
        await create(core, analyst, active_from=date(2026, 3, 5), active_until=date(2026, 3, 4))
    assert closes_first.value.field == "active_until"
    for served in (0, -3):
        with pytest.raises(InvalidFeedbackPoint) as error:
            await create(core, analyst, served=served)
        assert error.value.field == "served"
    with pytest.raises(InvalidFeedbackPoint):
        await create(core, analyst, name="   ")
    with pytest.raises(InvalidFeedbackPoint):
        await create(core, analyst, name="x" * 121)
    operator = await make_staff(core, "oper", "operator")
    with pytest.raises(PermissionDenied):
        await create(core, operator)
    async with core.database.transaction() as session:
        assert list(await session.scalars(select(FeedbackPoint))) == []


async def test_update_changes_what_is_given_and_audits_the_change(
    core: Core, analyst: Actor
) -> None:
    point = await create(core, analyst)
    focal = await make_staff(core, "focal", "focal_point")
    async with core.database.transaction() as session:
        service = FeedbackPointService(session, core)
        updated = await service.update(
            focal, point.code.lower(), name="School 4", site=None, served=None
        )
        assert (updated.name, updated.site, updated.served) == ("School 4", None, None)
        assert updated.active_until == date(2026, 3, 31)  # left out: kept
        with pytest.raises(InvalidFeedbackPoint):
            await service.update(focal, point.code, active_until=date(2026, 2, 1))
        with pytest.raises(FeedbackPointNotFound):
            await service.update(focal, "ZZZZZZ", name="x")
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "feedback_point.updated")
        )
    assert event is not None and event.actor_name == "focal"
    assert event.before == {"name": "Distribution, school 4", "site": "Saltivka", "served": 400}
    assert event.after == {"name": "School 4", "site": None, "served": None}


async def test_list_filters_by_programme_oblast_and_the_day(core: Core, analyst: Actor) -> None:
    march = await create(core, analyst, name="March")
    april = await create(
        core,
        analyst,
        name="April",
        oblast="UA-46",
        active_from=date(2026, 4, 1),
        active_until=None,
    )
    shelter = await create(core, analyst, name="Shelter", programme="shelter")
    async with core.database.transaction() as session:
        service = FeedbackPointService(session, core)

        async def names(**filters: object) -> list[str]:
            return [p.name for p in await service.list(**filters)]  # type: ignore[arg-type]

        assert sorted(await names()) == ["April", "March", "Shelter"]
        assert sorted(await names(programme="cash")) == ["April", "March"]
        assert await names(oblast="UA-46") == ["April"]
        assert sorted(await names(active_on=date(2026, 3, 31))) == ["March", "Shelter"]
        assert await names(active_on=date(2030, 1, 1)) == ["April"]
        assert await names(programme="cash", active_on=date(2026, 2, 28)) == []
    assert len({march.code, april.code, shelter.code}) == 3


async def test_a_link_opens_only_a_known_point_while_it_is_active(
    core: Core, analyst: Actor
) -> None:
    point = await create(core, analyst)
    async with core.database.transaction() as session:
        service = FeedbackPointService(session, core)
        assert (await service.open_point(point.code, date(2026, 3, 1))).id == point.id
        assert (await service.open_point(point.code, date(2026, 3, 31))).id == point.id
        for code, day, reason in (
            ("ZZZZZZ", date(2026, 3, 5), PointUnavailableReason.UNKNOWN),
            ("not a code", date(2026, 3, 5), PointUnavailableReason.UNKNOWN),
            (point.code, date(2026, 2, 28), PointUnavailableReason.NOT_YET),
            (point.code, date(2026, 4, 1), PointUnavailableReason.EXPIRED),
        ):
            with pytest.raises(FeedbackPointUnavailable) as error:
                await service.open_point(code, day)
            assert error.value.reason is reason
        with pytest.raises(FeedbackPointNotFound):
            await service.get("ZZZZZZ")


async def test_answers_are_stored_per_question_with_the_hour_only(
    core: Core, analyst: Actor
) -> None:
    point = await create(core, analyst)
    await with_survey(core, point)
    core.clock.set(datetime(2026, 3, 2, 9, 47, 13, tzinfo=UTC))  # type: ignore[attr-defined]
    response = await answer(
        core,
        point.code,
        {
            "satisfied": "4",
            "got_all": "NO",
            "missing": "hygiene",
            "wait": 3,
            "comment": "  Дякую\x00 " + "я" * 600,
        },
        language=Language.RU,
        channel=Channel.WEB,
    )
    assert response.created_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert (response.language, response.channel) == (Language.RU, Channel.WEB)
    # Its audit event no finer: a minute beside it would give the response its minute back.
    async with core.database.transaction() as session:
        logged = list(
            await session.scalars(
                select(AuditEvent.at).where(AuditEvent.action == "survey_response.created")
            )
        )
    assert logged == [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    stored = await stored_answers(core)
    assert stored[:4] == [
        ("satisfied", "4", 4, None),
        ("got_all", "no", None, None),
        ("missing", "hygiene", None, None),
        ("wait", "3", 3, None),
    ]
    question, value, number, text = stored[4]
    assert (question, value, number) == ("comment", None, None)
    assert text is not None and text.startswith("Дякую я") and "\x00" not in text
    assert len(text) == MAX_TEXT_ANSWER_CHARS


async def test_an_irrelevant_question_is_neither_required_nor_kept(
    core: Core, analyst: Actor
) -> None:
    point = await create(core, analyst)
    await with_survey(core, point)
    # "missing" is required, but asked only after "no": after "yes" its answer is dropped.
    await answer(core, point.code, {"satisfied": 5, "got_all": "yes", "missing": "food"})
    # Not answered "got_all" at all: "missing" is not asked either.
    await answer(core, point.code, {"satisfied": 1, "comment": "   "})
    assert await stored_answers(core) == [
        ("satisfied", "5", 5, None),
        ("got_all", "yes", None, None),
        ("satisfied", "1", 1, None),
    ]
    async with core.database.transaction() as session:
        responses = list(await session.scalars(select(SurveyResponse)))
        assert len(responses) == 2 and all(r.point_id == point.id for r in responses)
        events = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "survey_response.created")
            )
        )
    assert [(e.actor_kind, e.actor_id, e.after) for e in events] == [
        ("reporter", None, {"answered": ["got_all", "satisfied"]}),
        ("reporter", None, {"answered": ["satisfied"]}),
    ]


@pytest.mark.parametrize(
    ("answers", "question", "problem"),
    [
        ({"satisfied": 3, "age": "30"}, "age", SurveyAnswerProblem.UNKNOWN_QUESTION),
        ({"satisfied": 3, "intro": "x"}, "intro", SurveyAnswerProblem.UNKNOWN_QUESTION),
        ({"got_all": "yes"}, "satisfied", SurveyAnswerProblem.REQUIRED),
        ({"satisfied": 3, "got_all": "no"}, "missing", SurveyAnswerProblem.REQUIRED),
        (
            {"satisfied": 3, "got_all": "no", "missing": "tents"},
            "missing",
            SurveyAnswerProblem.NOT_A_CHOICE,
        ),
        ({"satisfied": 3, "got_all": "maybe"}, "got_all", SurveyAnswerProblem.NOT_YES_NO),
        ({"satisfied": 6}, "satisfied", SurveyAnswerProblem.OUT_OF_RANGE),
        ({"satisfied": "0"}, "satisfied", SurveyAnswerProblem.OUT_OF_RANGE),
        ({"satisfied": "three"}, "satisfied", SurveyAnswerProblem.OUT_OF_RANGE),
        ({"satisfied": True}, "satisfied", SurveyAnswerProblem.OUT_OF_RANGE),
        ({"satisfied": 3, "wait": 5}, "wait", SurveyAnswerProblem.OUT_OF_RANGE),
        ({"satisfied": 3, "wait": "1"}, "wait", SurveyAnswerProblem.OUT_OF_RANGE),
    ],
)
async def test_answers_the_survey_does_not_allow_are_refused(
    core: Core,
    analyst: Actor,
    answers: dict[str, str | int | None],
    question: str,
    problem: SurveyAnswerProblem,
) -> None:
    point = await create(core, analyst)
    await with_survey(core, point)
    with pytest.raises(InvalidSurveyAnswer) as error:
        await answer(core, point.code, answers)
    assert (error.value.question, error.value.problem) == (question, problem)
    async with core.database.transaction() as session:
        assert list(await session.scalars(select(SurveyResponse))) == []


async def test_a_point_without_a_survey_takes_no_answers(core: Core, analyst: Actor) -> None:
    point = await create(core, analyst)
    with pytest.raises(InvalidSurveyAnswer) as error:
        await answer(core, point.code, {"satisfied": 3})
    assert error.value.problem is SurveyAnswerProblem.NO_SURVEY


async def test_set_survey_stores_it_and_takes_it_away(core: Core, analyst: Actor) -> None:
    point = await create(core, analyst)
    operator = await make_staff(core, "oper", "operator")
    async with core.database.transaction() as session:
        service = FeedbackPointService(session, core)
        stored = await service.set_survey(analyst, point.code, SURVEY)
        assert stored.survey_definition == SURVEY
        with pytest.raises(PermissionDenied):
            await service.set_survey(operator, point.code, None)
        cleared = await service.set_survey(analyst, point.code, None)
        assert cleared.survey is None
        actions = list(
            await session.scalars(
                select(AuditEvent.after)
                .where(AuditEvent.action == "feedback_point.survey_set")
                .order_by(AuditEvent.id)
            )
        )
    assert actions == [
        {"questions": [q.name for q in SURVEY.questions]},
        {"questions": None},
    ]


async def test_set_survey_refuses_a_survey_that_asks_for_a_phone_number(
    core: Core, analyst: Actor
) -> None:
    point = await create(core, analyst)
    phone = Survey(questions=(Question("phone", QuestionKind.TEXT, {EN: "Your phone number"}),))
    with pytest.raises(SurveyRefused):
        async with core.database.transaction() as session:
            await FeedbackPointService(session, core).set_survey(analyst, point.code, phone)
    async with core.database.transaction() as session:
        assert (await FeedbackPointService(session, core).get(point.code)).survey is None


async def test_a_rating_and_a_report_given_at_a_point_are_tied_to_it(
    core: Core, analyst: Actor
) -> None:
    point = await create(core, analyst, programme="shelter")
    async with core.database.transaction() as session:
        rating = await RatingService(session, core).rate_assistance(
            programme=None, score=5, language=UK, feedback_point=point
        )
        plain = await RatingService(session, core).rate_assistance(
            programme="cash", score=3, language=UK
        )
    assert (rating.feedback_point_id, rating.programme) == (point.id, "shelter")
    assert plain.feedback_point_id is None
    submitted = await submit(core, feedback_point_id=point.id)
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == submitted.ref))
        tied = list(
            await session.scalars(select(Rating.id).where(Rating.feedback_point_id == point.id))
        )
    assert case is not None and case.feedback_point_id == point.id
    assert tied == [rating.id]


async def test_a_survey_given_any_way_has_its_demographic_questions_marked(
    core: Core, analyst: Actor
) -> None:
    """Not only the parser and the editor: set_survey itself marks them, so a crossing
    with them is suppressed below 5 whichever way the survey came."""
    point = await create(core, analyst)
    asked_sex = Question(
        "sex",
        QuestionKind.CHOICE,
        {EN: "What is your sex?"},
        choices=(Choice("female", {EN: "Female"}), Choice("male", {EN: "Male"})),
    )
    survey = Survey(questions=(*SURVEY.questions, asked_sex))
    assert survey.question("sex").demographic is None
    async with core.database.transaction() as session:
        stored = await FeedbackPointService(session, core).set_survey(analyst, point.code, survey)
        definition = stored.survey_definition
    assert definition is not None
    assert definition.question("sex").demographic is Demographic.SEX
    assert definition.question("satisfied").demographic is None
