"""Satisfaction records: not cases, and never tied to who gave them.

A rating keeps the hour it was given, not the second (issue 10): the stats need no more,
and a finer time could be set beside a person's activity."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.clock import HOUR, floor_to
from storage.core import Core
from storage.enums import AuditAction, Channel, Language, RatingKind, WhatWentWrong
from storage.errors import AlreadyRated, CaseNotFound, InvalidInput, InvalidScore, TextTooLong
from storage.models import FeedbackPoint, Rating
from storage.repositories.cases import CaseRepository
from storage.repositories.ratings import RatingRepository
from storage.services.audit import AuditLog
from storage.services.outbox import OutboxService
from storage.text import clean

MAX_COMMENT_CHARS = 2000
LOW_SCORES = (1, 2)


def check_score(score: object) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidScore(score)
    return score


class RatingService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.ratings = RatingRepository(session)
        self.cases = CaseRepository(session)
        self.audit = AuditLog(session, core.clock)

    async def rate_assistance(
        self,
        *,
        programme: str | None,
        score: int,
        reasons: Sequence[str] = (),
        comment: str | None = None,
        language: Language,
        channel: Channel = Channel.TELEGRAM,
        feedback_point: FeedbackPoint | None = None,
    ) -> Rating:
        """A person's rating of the assistance; ``feedback_point``: given at that point
        (its link), tied to it and, without a programme of its own, to its programme."""
        check_score(score)
        if programme is None and feedback_point is not None:
            programme = feedback_point.programme
        if programme is not None:
            programme = self.core.catalog.programme(programme).code
        clean_reasons = sorted({WhatWentWrong(r).value for r in reasons}) if reasons else []
        if clean_reasons and score not in LOW_SCORES:
            raise InvalidInput("Reasons are asked only for a score of 1 or 2.")
        body = clean(comment or "").strip() or None
        if body and len(body) > MAX_COMMENT_CHARS:
            raise TextTooLong("comment", len(body), MAX_COMMENT_CHARS)
        rating = Rating(
            kind=RatingKind.ASSISTANCE,
            created_at=floor_to(self.core.clock.now(), HOUR),
            programme=programme,
            score=score,
            reasons=clean_reasons,
            comment=body,
            language=Language(language),
            channel=channel,
            feedback_point_id=feedback_point.id if feedback_point is not None else None,
        )
        self.ratings.add(rating)
        await self.session.flush()
        self.audit.record(
            Actor.reporter(),
            AuditAction.RATING_CREATED,
            target=f"rating:{rating.id}",
            after={"score": score},
            coarse_to=HOUR,
        )
        return rating

    async def rate_handling(self, *, outbox_id: int, score: int, language: Language) -> Rating:
        """The answer to the one question asked when an opted-in reporter's case closed."""
        check_score(score)
        case_id = await OutboxService(self.session, self.core).survey_case_id(outbox_id)
        case = await self.cases.get(case_id) if case_id is not None else None
        if case is None:
            raise CaseNotFound(str(outbox_id))
        if case.handling_score is not None or await self.ratings.for_case(case.id) is not None:
            raise AlreadyRated()
        rating = Rating(
            kind=RatingKind.HANDLING,
            created_at=floor_to(self.core.clock.now(), HOUR),
            programme=case.programme,
            score=score,
            reasons=[],
            comment=None,
            language=Language(language),
            channel=case.channel,
            case_id=case.id,
        )
        self.ratings.add(rating)
        case.handling_score = score
        await self.session.flush()
        self.audit.record(
            Actor.reporter(),
            AuditAction.CASE_HANDLING_RATED,
            case=case,
            target=f"rating:{rating.id}",
            after={"handling_score": score},
            coarse_to=HOUR,
        )
        return rating
