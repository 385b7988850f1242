"""Feedback points and their survey responses (:mod:`storage.services.feedback_points`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from storage.models import FeedbackPoint, SurveyResponse
from storage.repositories.base import Repository


class FeedbackPointRepository(Repository):
    async def by_code(self, code: str) -> FeedbackPoint | None:
        stmt = select(FeedbackPoint).where(FeedbackPoint.code == code)
        return (await self.session.scalars(stmt)).one_or_none()

    async def code_taken(self, code: str) -> bool:
        stmt = select(FeedbackPoint.id).where(FeedbackPoint.code == code)
        return await self.session.scalar(stmt) is not None

    async def by_id(self, point_id: int) -> FeedbackPoint | None:
        return await self.session.get(FeedbackPoint, point_id)

    async def matching(
        self,
        *,
        programme: str | None = None,
        oblast: str | None = None,
        active_on: date | None = None,
    ) -> list[FeedbackPoint]:
        """Points newest first, narrowed by programme, oblast and the day they are open."""
        stmt = select(FeedbackPoint)
        if programme is not None:
            stmt = stmt.where(FeedbackPoint.programme == programme)
        if oblast is not None:
            stmt = stmt.where(FeedbackPoint.oblast == oblast)
        if active_on is not None:
            stmt = stmt.where(
                FeedbackPoint.active_from <= active_on,
                or_(FeedbackPoint.active_until.is_(None), FeedbackPoint.active_until >= active_on),
            )
        stmt = stmt.order_by(FeedbackPoint.active_from.desc(), FeedbackPoint.id.desc())
        return list((await self.session.scalars(stmt)).all())

    def add(self, row: FeedbackPoint | SurveyResponse) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()
