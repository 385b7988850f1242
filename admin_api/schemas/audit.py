"""Audit events: who did what to which case, when, from what to what (SPEC §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from storage.enums import ActorKind
from storage.models import AuditEvent


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor_kind: ActorKind
    actor_id: int | None
    actor_name: str | None
    action: str = Field(examples=["case.updated"])
    case_ref: str | None
    sensitive: bool
    target: str | None = Field(examples=["note:12"])
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            id=event.id,
            at=event.at,
            actor_kind=ActorKind(event.actor_kind),
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            action=event.action,
            case_ref=event.case_ref,
            sensitive=event.sensitive,
            target=event.target,
            before=event.before,
            after=event.after,
        )


class CaseEvents(BaseModel):
    items: list[AuditEventOut] = Field(description="Oldest first.")


class AuditPageOut(BaseModel):
    items: list[AuditEventOut] = Field(description="Newest first.")
    next_cursor: str | None
