"""Reading the audit log (``GET /audit``), with who may read what.

An administrator reads every event. A focal point reads only the events of sensitive
cases: the trail of their own sealed work, nothing about standard cases or staff
accounts. Every other role is refused before anything is looked up.

An event of a sensitive case (sensitive when it was written, or since moved into the
sealed channel) tells a reader who may not see the case only that it happened: who
acted, what kind of event, when, on which reference. Its attributes (``before``,
``after``, ``target``: a sensitive report's category, oblast, programme and language
on ``case.created``, every change after it) are for focal points only (issue 18 §4).

Pages are newest first and continue from an opaque, signed cursor bound to the query,
so a cursor cannot be forged or reused with other filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.cursor import CursorCodec, fingerprint
from storage.enums import ActorKind, Role
from storage.errors import InvalidCursor, PermissionDenied
from storage.models import AuditEvent
from storage.repositories.audit import AuditFilter, AuditRepository
from storage.repositories.cases import CaseRepository

MAX_PAGE = 200
# Roles that read the whole log; the other audit readers see sensitive cases' events only.
FULL_LOG_ROLES = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit log; ``until`` is exclusive, ``actions`` means "any of"."""

    case_ref: str | None = None
    actor_id: int | None = None
    actions: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditEntry:
    """An audit event as this reader may see it (``sealed``: its attributes withheld)."""

    id: int
    public_id: str
    at: datetime
    actor_kind: ActorKind
    actor_id: int | None
    actor_name: str | None
    action: str
    case_ref: str | None
    sensitive: bool
    target: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    sealed: bool = False

    @classmethod
    def of(cls, event: AuditEvent, *, sealed: bool) -> AuditEntry:
        return cls(
            id=event.id,
            public_id=event.public_id,
            at=event.at,
            actor_kind=event.actor_kind,
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            action=event.action,
            case_ref=event.case_ref,
            sensitive=event.sensitive or sealed,
            target=None if sealed else event.target,
            before=None if sealed else event.before,
            after=None if sealed else event.after,
            sealed=sealed,
        )


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    next_cursor: str | None


class AuditTrail:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.core = core
        self.events = AuditRepository(session)
        self.cases = CaseRepository(session)
        self.cursors = CursorCodec(core.crypto, "audit-cursor")

    async def page(
        self,
        actor: Actor,
        query: AuditQuery,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> AuditPage:
        if not actor.can_read_audit:
            raise PermissionDenied("Only administrators and focal points read the audit log.")
        limit = max(1, min(limit, MAX_PAGE))
        sensitive_only = actor.role not in FULL_LOG_ROLES
        query_print = _fingerprint(query, sensitive_only)
        before_id = self._before_id(cursor, query_print) if cursor else None

        case_id: int | None = None
        if query.case_ref is not None:
            case = await self.cases.get_by_ref(query.case_ref)
            if case is None:
                # The log is filtered, not the case looked up: an unknown ref has no events.
                return AuditPage(items=[], next_cursor=None)
            case_id = case.id
        flt = AuditFilter(
            case_id=case_id,
            actor_id=query.actor_id,
            actions=tuple(query.actions),
            since=query.since,
            until=query.until,
            sensitive_only=sensitive_only,
        )
        rows = await self.events.page(flt, before_id=before_id, limit=limit + 1)
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = self.cursors.encode([rows[-1].id], query_print)
        sealed: set[int] = set()
        if not actor.can_see_sensitive:
            sealed = await self.events.sensitive_cases(
                [e.case_id for e in rows if e.case_id is not None and not e.sensitive]
            )
        items = [
            AuditEntry.of(
                event,
                sealed=not actor.can_see_sensitive and (event.sensitive or event.case_id in sealed),
            )
            for event in rows
        ]
        return AuditPage(items=items, next_cursor=next_cursor)

    def _before_id(self, cursor: str, query_print: str) -> int:
        values = self.cursors.decode(cursor, query_print)
        if len(values) != 1 or not isinstance(values[0], int):
            raise InvalidCursor()
        return values[0]


def _fingerprint(query: AuditQuery, sensitive_only: bool) -> str:
    """Binds a cursor to its query (and to what the reader may see)."""
    return fingerprint(
        sensitive_only,
        query.case_ref,
        query.actor_id,
        list(query.actions),
        query.since.isoformat() if query.since else None,
        query.until.isoformat() if query.until else None,
    )
