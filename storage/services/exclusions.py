"""Nobody handles an allegation against themselves: a focal point steps back from a case
(recusal), or another focal point excludes them from it. From then on the case does not
exist for them (404, not listed, not counted, not found), they are no longer its
assignee, and the alerts leave them out (:meth:`ExclusionRepository.excluded_staff`).

Nobody is left alone with an allegation either: the last focal point who could see a
case cannot step back from it or be excluded from it. An exclusion is not lifted from
the console; an administrator can do it in the database, and the trail keeps both.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.enums import AuditAction, Role
from storage.errors import LastFocalPoint, NotAFocalPoint, PermissionDenied
from storage.models import Case, CaseExclusion
from storage.repositories.exclusions import ExclusionRepository
from storage.repositories.staff import StaffRepository
from storage.services.audit import AuditLog
from storage.services.triage import TriageService

RECUSED = "recused"
EXCLUDED = "excluded"


@dataclass(frozen=True)
class Exclusion:
    case: Case
    user_id: int
    kind: str  # RECUSED or EXCLUDED


class Exclusions:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.session = session
        self.core = core
        self.repo = ExclusionRepository(session)
        self.audit = AuditLog(session, core.clock)

    async def keep_away(self, ref: str, actor: Actor, user_id: int) -> Exclusion:
        """Keep ``user_id`` away from the case: the actor themselves (recusal) or another
        focal point (exclusion). Keeping away someone already kept away changes nothing."""
        if actor.role is not Role.FOCAL_POINT or actor.user_id is None:
            raise PermissionDenied("Only a focal point steps back from a case or excludes one.")
        case = await TriageService(self.session, self.core).get_visible(
            ref, actor, audit_read=False
        )
        kind = RECUSED if user_id == actor.user_id else EXCLUDED
        if kind == EXCLUDED:
            user = await StaffRepository(self.session).get(user_id)
            if user is None or not user.is_active or user.role is not Role.FOCAL_POINT:
                raise NotAFocalPoint()
        if await self.repo.get(case.id, user_id) is not None:
            return Exclusion(case, user_id, kind)
        if await self.repo.focal_points_left(case.id, besides=user_id) == 0:
            raise LastFocalPoint()
        now = self.core.clock.now()
        self.repo.add(
            CaseExclusion(case_id=case.id, user_id=user_id, kind=kind, by_id=actor.user_id, at=now)
        )
        after: dict[str, object] = {"user_id": user_id}
        before: dict[str, object] | None = None
        if case.assignee_id == user_id:
            before, after["assignee_id"] = {"assignee_id": user_id}, None
            case.assignee_id = None
            case.updated_at = now
        self.audit.record(
            actor,
            AuditAction.CASE_RECUSED if kind == RECUSED else AuditAction.CASE_EXCLUDED,
            case=case,
            target=f"user:{user_id}",
            before=before,
            after=after,
        )
        await self.session.flush()
        return Exclusion(case, user_id, kind)
