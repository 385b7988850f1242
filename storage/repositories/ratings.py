from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, literal, or_, select

from storage.models import Rating
from storage.repositories.base import Repository
from storage.repositories.filters import RatingFilter, rating_conditions


class RatingRepository(Repository):
    def add(self, rating: Rating) -> None:
        self.session.add(rating)

    async def for_case(self, case_id: int) -> Rating | None:
        return await self.session.scalar(select(Rating).where(Rating.case_id == case_id))

    async def page(
        self, flt: RatingFilter, *, after: tuple[datetime, int] | None, limit: int
    ) -> list[Rating]:
        """Ratings oldest first, after the keyset ``(created_at, id)``."""
        stmt = select(Rating).where(*rating_conditions(flt))
        if after is not None:
            at = literal(after[0], type_=Rating.created_at.type)
            stmt = stmt.where(
                or_(Rating.created_at > at, and_(Rating.created_at == at, Rating.id > after[1]))
            )
        stmt = stmt.order_by(Rating.created_at, Rating.id).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    async def count(self, flt: RatingFilter) -> int:
        stmt = select(func.count(Rating.id)).where(*rating_conditions(flt))
        return int(await self.session.scalar(stmt) or 0)
