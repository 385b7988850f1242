"""Who is kept away from a case (:class:`storage.models.CaseExclusion`)."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.enums import Role
from storage.models import CaseExclusion, StaffUser
from storage.repositories.base import Repository


class ExclusionRepository(Repository):
    async def excluded_staff(self, case_id: int) -> set[int]:
        """The staff ids kept away from this case: they see nothing of it, and no alert
        about it may reach them."""
        stmt = select(CaseExclusion.user_id).where(CaseExclusion.case_id == case_id)
        return set((await self.session.scalars(stmt)).all())

    async def get(self, case_id: int, user_id: int) -> CaseExclusion | None:
        return await self.session.get(CaseExclusion, (case_id, user_id))

    def add(self, row: CaseExclusion) -> None:
        self.session.add(row)

    async def focal_points_left(self, case_id: int, *, besides: int) -> int:
        """Active focal points who still see the case, ``besides`` not counted."""
        kept_away = select(CaseExclusion.user_id).where(CaseExclusion.case_id == case_id)
        stmt = select(func.count()).where(
            StaffUser.is_active.is_(True),
            StaffUser.role == Role.FOCAL_POINT,
            StaffUser.id != besides,
            StaffUser.id.not_in(kept_away),
        )
        return int(await self.session.scalar(stmt) or 0)
