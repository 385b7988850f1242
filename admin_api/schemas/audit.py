"""Audit events: who did what to which case, when, from what to what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from admin_api.schemas.common import ViewModel
from storage.enums import ActorKind


class AuditEventOut(ViewModel):
    # The event's public id (storage.refs), never its sequential key.
    id: str = Field(validation_alias="public_id")
    at: datetime
    actor_kind: ActorKind
    actor_id: int | None
    actor_name: str | None
    action: str = Field(examples=["case.updated"])
    case_ref: str | None
    sensitive: bool
    target: str | None = Field(examples=["note:7K2M9QXDR4HT"])
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class CaseEvents(BaseModel):
    items: list[AuditEventOut] = Field(description="Oldest first.")


class AuditPageOut(BaseModel):
    items: list[AuditEventOut] = Field(description="Newest first.")
    next_cursor: str | None
