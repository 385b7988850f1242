from __future__ import annotations

from sqlalchemy import select

from storage.models import Rating
from storage.repositories.base import Repository


class RatingRepository(Repository):
    def add(self, rating: Rating) -> None:
        self.session.add(rating)

    async def for_case(self, case_id: int) -> Rating | None:
        return await self.session.scalar(select(Rating).where(Rating.case_id == case_id))
