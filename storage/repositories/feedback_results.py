"""The feedback points' figures, counted in SQL (:mod:`storage.services.feedback_results`)
from the rows: before the daily counts are built (which give the same figures from
fewer rows, :mod:`storage.repositories.day_counts`), and as their recount in tests.

Answers are grouped per point, question and answer; a scale question's crossing with a
demographic question is a self-join of the answers on their response, grouped the same
way. Only text answers come back one by one, and only for roles that read them. A
period is half-open ``[start, end)`` in UTC (:mod:`storage.periods`), on the response's
hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from storage.models import Rating, SurveyAnswer, SurveyResponse
from storage.repositories.base import Repository

_DEMOGRAPHIC = aliased(SurveyAnswer)


def _in(point_ids: Sequence[int], start: datetime, end: datetime) -> list[Any]:
    return [
        SurveyResponse.point_id.in_(list(point_ids)),
        SurveyResponse.created_at >= start,
        SurveyResponse.created_at < end,
    ]


class FeedbackResultsRepository(Repository):
    async def response_counts(
        self, point_ids: Sequence[int], start: datetime, end: datetime
    ) -> dict[int, int]:
        stmt = (
            select(SurveyResponse.point_id, func.count(SurveyResponse.id))
            .where(*_in(point_ids, start, end))
            .group_by(SurveyResponse.point_id)
        )
        return {int(p): int(n) for p, n in (await self.session.execute(stmt)).all()}

    async def answer_counts(
        self, point_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[Any]:
        """Rows ``(point_id, question, value, number, is_text, answers)``: choices and
        scores by their value, text answers (``is_text`` 1) counted per question, in one
        pass over the period's answers."""
        is_text = case((SurveyAnswer.text.is_(None), 0), else_=1)
        value = case((SurveyAnswer.text.is_(None), SurveyAnswer.value), else_=None)
        number = case((SurveyAnswer.text.is_(None), SurveyAnswer.number), else_=None)
        stmt = (
            select(
                SurveyResponse.point_id,
                SurveyAnswer.question,
                value,
                number,
                is_text,
                func.count(SurveyAnswer.id),
            )
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(*_in(point_ids, start, end))
            .group_by(SurveyResponse.point_id, SurveyAnswer.question, value, number, is_text)
        )
        return list((await self.session.execute(stmt)).all())

    async def texts(
        self, point_id: int, start: datetime, end: datetime, *, limit: int
    ) -> list[Any]:
        """Rows ``(question, text)`` of one point, newest first, at most ``limit``: read
        from the point's newest responses backwards (ix_survey_responses_point_created),
        each response's answers by its id, so the newest few are read, not the period."""
        stmt = (
            select(SurveyAnswer.question, SurveyAnswer.text)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(*_in([point_id], start, end), SurveyAnswer.text.is_not(None))
            .order_by(SurveyResponse.created_at.desc(), SurveyAnswer.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).all())

    async def crossed(
        self,
        point_ids: Sequence[int],
        start: datetime,
        end: datetime,
        demographic: Sequence[str],
    ) -> list[Any]:
        """Rows ``(point_id, question, by, group, score, answers)``: each scored answer
        per choice answered in the same response to a question named in ``demographic``
        (a demographic question is a choice or yes/no: a value, never a number)."""
        if not demographic:
            return []
        stmt = (
            select(
                SurveyResponse.point_id,
                SurveyAnswer.question,
                _DEMOGRAPHIC.question,
                _DEMOGRAPHIC.value,
                SurveyAnswer.number,
                func.count(SurveyAnswer.id),
            )
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .join(_DEMOGRAPHIC, _DEMOGRAPHIC.response_id == SurveyAnswer.response_id)
            .where(
                *_in(point_ids, start, end),
                SurveyAnswer.number.is_not(None),
                _DEMOGRAPHIC.question.in_(list(demographic)),
                _DEMOGRAPHIC.value.is_not(None),
                _DEMOGRAPHIC.number.is_(None),
                _DEMOGRAPHIC.id != SurveyAnswer.id,
            )
            .group_by(
                SurveyResponse.point_id,
                SurveyAnswer.question,
                _DEMOGRAPHIC.question,
                _DEMOGRAPHIC.value,
                SurveyAnswer.number,
            )
        )
        return list((await self.session.execute(stmt)).all())

    async def rating_counts(
        self, point_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[Any]:
        """Rows ``(point_id, score, ratings)`` of the ratings given at the points."""
        stmt = (
            select(Rating.feedback_point_id, Rating.score, func.count(Rating.id))
            .where(
                Rating.feedback_point_id.in_(list(point_ids)),
                Rating.created_at >= start,
                Rating.created_at < end,
            )
            .group_by(Rating.feedback_point_id, Rating.score)
        )
        return list((await self.session.execute(stmt)).all())

    async def response_batch(
        self,
        point_id: int,
        start: datetime,
        end: datetime,
        *,
        after: tuple[datetime, int] | None,
        limit: int,
    ) -> list[SurveyResponse]:
        """A point's responses oldest first, after the keyset ``(created_at, id)``, with
        their answers."""
        stmt = select(SurveyResponse).where(*_in([point_id], start, end))
        if after is not None:
            at = literal(after[0], type_=SurveyResponse.created_at.type)
            stmt = stmt.where(
                or_(
                    SurveyResponse.created_at > at,
                    and_(SurveyResponse.created_at == at, SurveyResponse.id > after[1]),
                )
            )
        stmt = stmt.order_by(SurveyResponse.created_at, SurveyResponse.id).limit(limit)
        return list((await self.session.scalars(stmt)).all())
