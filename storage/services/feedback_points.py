"""Feedback points (issue 24): where assistance is given and people are asked about it.

A point has a short code for its poster's links: the bot's deep link
(``start=fp_<code>``) and the web form's ``/r/<code>``. Analysts and focal points keep
points (administrators too); every staff role reads them. A person who opens a point's
link (:meth:`FeedbackPointService.open_point`) rates the assistance there or answers the
point's survey (:meth:`FeedbackPointService.record_response`); the answers are stored
per question with the hour, the language and the channel, and nothing about who gave
them (as a rating).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.clock import HOUR, floor_to
from storage.core import Core
from storage.enums import (
    AuditAction,
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
)
from storage.models import FeedbackPoint, SurveyAnswer, SurveyResponse
from storage.repositories.feedback_points import FeedbackPointRepository
from storage.services.audit import AuditLog
from storage.surveys import (
    SCALE_MAX,
    SCALE_MIN,
    Question,
    QuestionKind,
    Survey,
    check_survey,
    with_demographics,
)
from storage.text import clean

# Upper-case letters and digits a person cannot misread on a poster: no 0, O, 1 or I.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
# The bot's deep-link payload: ``/start fp_<code>``.
DEEP_LINK_PREFIX = "fp_"
MAX_NAME_CHARS = 120
MAX_SITE_CHARS = 120
MAX_TEXT_ANSWER_CHARS = 500
YES, NO = "yes", "no"


class _Keep(Enum):
    """An :meth:`FeedbackPointService.update` field left as it is (None clears some)."""

    KEEP = 0


KEEP = _Keep.KEEP


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def canonical_code(text: str) -> str | None:
    """A code as a person may type or a link may carry it (any case, spaces around, the
    deep link's ``fp_`` prefix), or None when it cannot be one."""
    code = text.strip()
    if code.lower().startswith(DEEP_LINK_PREFIX):
        code = code[len(DEEP_LINK_PREFIX) :]
    code = code.upper()
    return code if _CODE.fullmatch(code) else None


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={DEEP_LINK_PREFIX}{code}"


def web_link(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/r/{code}"


def availability(point: FeedbackPoint, today: date) -> PointUnavailableReason | None:
    """Why the point's link does not open on ``today`` (None: it opens)."""
    if today < point.active_from:
        return PointUnavailableReason.NOT_YET
    if point.active_until is not None and today > point.active_until:
        return PointUnavailableReason.EXPIRED
    return None


def _name(value: str) -> str:
    name = clean(value).strip()
    if not name:
        raise InvalidFeedbackPoint("name", "A feedback point needs a name.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidFeedbackPoint("name", f"A name has at most {MAX_NAME_CHARS} characters.")
    return name


def _site(value: str | None) -> str | None:
    site = clean(value or "").strip() or None
    if site is not None and len(site) > MAX_SITE_CHARS:
        raise InvalidFeedbackPoint("site", f"A site has at most {MAX_SITE_CHARS} characters.")
    return site


def _served(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or value <= 0:
        raise InvalidFeedbackPoint("served", "The number of people served is a whole number > 0.")
    return value


def _dates(active_from: date, active_until: date | None) -> None:
    if active_until is not None and active_until < active_from:
        raise InvalidFeedbackPoint("active_until", "A feedback point cannot close before it opens.")


def _facts(point: FeedbackPoint) -> dict[str, Any]:
    """What the audit trail keeps of a point (staff-written, nothing of a person's)."""
    return {
        "name": point.name,
        "programme": point.programme,
        "oblast": point.oblast,
        "site": point.site,
        "active_from": point.active_from.isoformat(),
        "active_until": point.active_until.isoformat() if point.active_until else None,
        "served": point.served,
    }


class FeedbackPointService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.core = core
        self.points = FeedbackPointRepository(session)
        self.audit = AuditLog(session, core.clock)

    @staticmethod
    def _may_manage(actor: Actor) -> None:
        if not actor.can_manage_feedback_points:
            raise PermissionDenied("Your role does not keep feedback points.")

    async def _unused_code(self) -> str:
        while True:
            code = new_code()
            if not await self.points.code_taken(code):
                return code

    # Staff ---------------------------------------------------------------------------

    async def create(
        self,
        actor: Actor,
        *,
        name: str,
        programme: str,
        oblast: str,
        site: str | None = None,
        active_from: date,
        active_until: date | None = None,
        served: int | None = None,
    ) -> FeedbackPoint:
        self._may_manage(actor)
        catalog = self.core.catalog
        _dates(active_from, active_until)
        now = self.core.clock.now()
        point = FeedbackPoint(
            code=await self._unused_code(),
            name=_name(name),
            programme=catalog.programme(programme).code,
            oblast=catalog.oblast(oblast).code,
            site=_site(site),
            active_from=active_from,
            active_until=active_until,
            served=_served(served),
            survey=None,
            created_at=now,
            updated_at=now,
        )
        self.points.add(point)
        await self.points.flush()
        self.audit.record(
            actor,
            AuditAction.FEEDBACK_POINT_CREATED,
            target=f"feedback_point:{point.code}",
            after=_facts(point),
        )
        return point

    async def update(
        self,
        actor: Actor,
        code: str,
        *,
        name: str | _Keep = KEEP,
        programme: str | _Keep = KEEP,
        oblast: str | _Keep = KEEP,
        site: str | _Keep | None = KEEP,
        active_from: date | _Keep = KEEP,
        active_until: date | _Keep | None = KEEP,
        served: int | _Keep | None = KEEP,
    ) -> FeedbackPoint:
        """Change the fields given (None clears the site, the closing date, the number
        served); a field left out is kept."""
        self._may_manage(actor)
        point = await self.get(code)
        catalog = self.core.catalog
        new: dict[str, Any] = {}
        if name is not KEEP:
            new["name"] = _name(name)
        if programme is not KEEP:
            new["programme"] = catalog.programme(programme).code
        if oblast is not KEEP:
            new["oblast"] = catalog.oblast(oblast).code
        if site is not KEEP:
            new["site"] = _site(site)
        if active_from is not KEEP:
            new["active_from"] = active_from
        if active_until is not KEEP:
            new["active_until"] = active_until
        if served is not KEEP:
            new["served"] = _served(served)
        _dates(
            new.get("active_from", point.active_from),
            new.get("active_until", point.active_until),
        )
        before = _facts(point)
        changed = {k: v for k, v in new.items() if getattr(point, k) != v}
        if not changed:
            return point
        for key, value in changed.items():
            setattr(point, key, value)
        point.updated_at = self.core.clock.now()
        await self.points.flush()
        after = _facts(point)
        self.audit.record(
            actor,
            AuditAction.FEEDBACK_POINT_UPDATED,
            target=f"feedback_point:{point.code}",
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
        return point

    async def set_survey(self, actor: Actor, code: str, survey: Survey | None) -> FeedbackPoint:
        """Give the point a survey (checked as every survey is), or take it away (None:
        the point asks for a rating)."""
        self._may_manage(actor)
        point = await self.get(code)
        if survey is not None:
            # Marked here as well as by the parser and the editor, so that a survey given
            # any other way is suppressed below 5 where it asks sex, age or disability.
            survey = with_demographics(survey)
            check_survey(survey)
        before = point.survey_definition
        point.survey = survey.to_json() if survey is not None else None
        point.updated_at = self.core.clock.now()
        await self.points.flush()
        self.audit.record(
            actor,
            AuditAction.FEEDBACK_POINT_SURVEY_SET,
            target=f"feedback_point:{point.code}",
            before={"questions": [q.name for q in before.questions] if before else None},
            after={"questions": [q.name for q in survey.questions] if survey else None},
        )
        return point

    # Anyone --------------------------------------------------------------------------

    def today(self) -> date:
        """Today where the mission works (``HOLOS_TIMEZONE``): the day a point's dates
        are read against."""
        return self.core.clock.now().astimezone(ZoneInfo(self.core.settings.timezone)).date()

    async def get(self, code: str) -> FeedbackPoint:
        canonical = canonical_code(code)
        point = await self.points.by_code(canonical) if canonical else None
        if point is None:
            raise FeedbackPointNotFound(code)
        return point

    async def by_id(self, point_id: int) -> FeedbackPoint:
        point = await self.points.by_id(point_id)
        if point is None:
            raise FeedbackPointNotFound(str(point_id))
        return point

    async def list(
        self,
        *,
        programme: str | None = None,
        oblast: str | None = None,
        active_on: date | None = None,
    ) -> list[FeedbackPoint]:
        return await self.points.matching(programme=programme, oblast=oblast, active_on=active_on)

    async def open_point(self, code: str, today: date) -> FeedbackPoint:
        """The point a link names, if it is open on ``today``; otherwise
        :class:`FeedbackPointUnavailable` says why."""
        canonical = canonical_code(code)
        point = await self.points.by_code(canonical) if canonical else None
        if point is None:
            raise FeedbackPointUnavailable(PointUnavailableReason.UNKNOWN)
        reason = availability(point, today)
        if reason is not None:
            raise FeedbackPointUnavailable(reason)
        return point

    async def record_response(
        self,
        point: FeedbackPoint,
        answers: Mapping[str, str | int | None],
        *,
        language: Language,
        channel: Channel = Channel.TELEGRAM,
    ) -> SurveyResponse:
        """Store one person's answers to the point's survey, checked against it.

        Answers are keyed by question name; None or an empty text is no answer. A
        question that is not relevant (its ``relevant`` answer not given) is not asked:
        its answer is dropped and it is not required. A text question is always
        skippable (the bot offers "skip"), even if marked required. Text answers are
        cleaned and cut to :data:`MAX_TEXT_ANSWER_CHARS`.
        """
        survey = point.survey_definition
        if survey is None:
            raise InvalidSurveyAnswer(None, SurveyAnswerProblem.NO_SURVEY)
        names = {q.name for q in survey.asked}
        for name in answers:
            if name not in names:
                raise InvalidSurveyAnswer(name, SurveyAnswerProblem.UNKNOWN_QUESTION)
        given: dict[str, tuple[str | None, int | None, str | None]] = {}
        for question in survey.asked:
            relevance = question.relevant
            if relevance is not None:
                earlier = given.get(relevance.question)
                if earlier is None or earlier[0] != relevance.value:
                    continue  # not asked: an answer to it is dropped
            answer = _read_answer(question, answers.get(question.name))
            if answer is None:
                if question.required and question.kind is not QuestionKind.TEXT:
                    raise InvalidSurveyAnswer(question.name, SurveyAnswerProblem.REQUIRED)
                continue
            given[question.name] = answer
        response = SurveyResponse(
            point_id=point.id,
            created_at=floor_to(self.core.clock.now(), HOUR),
            language=Language(language),
            channel=Channel(channel),
            answers=[
                SurveyAnswer(question=name, value=value, number=number, text=text)
                for name, (value, number, text) in given.items()
            ],
        )
        self.points.add(response)
        await self.points.flush()
        self.audit.record(
            Actor.reporter(),
            AuditAction.SURVEY_RESPONSE_CREATED,
            target=f"feedback_point:{point.code}",
            after={"answered": sorted(given)},
            coarse_to=HOUR,
        )
        return response


def _read_answer(
    question: Question, raw: str | int | None
) -> tuple[str | None, int | None, str | None] | None:
    """``(value, number, text)`` for one answer, None when there is none."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = question.kind
    if kind is QuestionKind.TEXT:
        text = clean(str(raw)).strip()[:MAX_TEXT_ANSWER_CHARS].strip()
        return (None, None, text) if text else None
    if kind is QuestionKind.SCALE:
        number = _scale_number(raw)
        low = question.minimum if question.minimum is not None else SCALE_MIN
        high = question.maximum if question.maximum is not None else SCALE_MAX
        if number is None or not low <= number <= high:
            raise InvalidSurveyAnswer(question.name, SurveyAnswerProblem.OUT_OF_RANGE)
        return str(number), number, None
    value = str(raw).strip()
    if kind is QuestionKind.YES_NO:
        if value.lower() not in (YES, NO):
            raise InvalidSurveyAnswer(question.name, SurveyAnswerProblem.NOT_YES_NO)
        return value.lower(), None, None
    if value not in {c.name for c in question.choices}:
        raise InvalidSurveyAnswer(question.name, SurveyAnswerProblem.NOT_A_CHOICE)
    return value, None, None


def _scale_number(raw: str | int) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    text = raw.strip()
    return int(text) if re.fullmatch(r"[0-9]{1,2}", text) else None
