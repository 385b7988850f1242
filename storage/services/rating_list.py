"""Satisfaction records for staff (``GET /ratings``): filters and cursor pages.

Ratings are never tied to who gave them. Their comment is the reporter's own words, so
it is shown to case workers only (operators, focal points), never to analysts or
administrators, who see the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.cursor import CursorCodec, fingerprint
from storage.models import Rating
from storage.periods import Period
from storage.repositories.filters import RatingFilter
from storage.repositories.ratings import RatingRepository

MAX_PAGE = 200


@dataclass(frozen=True)
class RatingItem:
    rating: Rating
    comment: str | None


@dataclass(frozen=True)
class RatingPage:
    items: list[RatingItem]
    next_cursor: str | None
    total: int


class RatingList:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.core = core
        self.repo = RatingRepository(session)
        self.cursors = CursorCodec(core.crypto, "ratings-cursor")

    async def page(
        self,
        actor: Actor,
        flt: RatingFilter,
        period: Period,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> RatingPage:
        limit = max(1, min(limit, MAX_PAGE))
        flt = replace(flt, created_from=period.start, created_to=period.end)
        query = fingerprint("ratings", flt.__dict__)
        after: tuple[datetime, int] | None = None
        if cursor:
            values = self.cursors.decode(cursor, query)
            after = (values[0], int(values[1]))
        items = await self.repo.page(flt, after=after, limit=limit + 1)
        next_cursor = None
        if len(items) > limit:
            items = items[:limit]
            last = items[-1]
            next_cursor = self.cursors.encode([last.created_at, last.id], query)
        show_comment = actor.can_see_cases
        return RatingPage(
            items=[RatingItem(r, r.comment if show_comment else None) for r in items],
            next_cursor=next_cursor,
            total=await self.repo.count(flt),
        )
