"""The audit trail: who did what to which case, when, from what to what.

Written by the service making the change, in the same transaction, so a change and
its record land together or not at all. Events never carry narratives or contacts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.clock import MINUTE, Clock, floor_to
from storage.enums import ActorKind, AuditAction
from storage.models import AuditEvent, Case
from storage.repositories.audit import AuditRepository


class AuditLog:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.repo = AuditRepository(session)
        self.clock = clock

    def record(
        self,
        actor: Actor,
        action: AuditAction,
        *,
        case: Case | None = None,
        target: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        sensitive: bool = False,
        coarse_to: timedelta = MINUTE,
    ) -> AuditEvent:
        at = self.clock.now()
        if actor.kind is ActorKind.REPORTER:
            # As the case's own times (issue 10): a reporter's moment to the minute only,
            # or coarser where the record it describes is (a rating's hour: a finer event
            # beside it would give the rating the finer time back).
            at = floor_to(at, max(coarse_to, MINUTE))
        event = AuditEvent(
            at=at,
            actor_kind=actor.kind,
            actor_id=actor.user_id,
            actor_name=actor.username,
            action=action,
            case_id=case.id if case is not None else None,
            case_ref=case.ref if case is not None else None,
            sensitive=bool(case.sensitive) if case is not None else sensitive,
            target=target,
            before=before,
            after=after,
        )
        self.repo.add(event)
        return event
