"""The audit log: everything for administrators, sensitive cases' events for
focal points, nothing for anyone else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field, StringConstraints

from admin_api.deps import AuditReaderDep
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.audit import AuditEventOut, AuditPageOut
from admin_api.schemas.cases import REF_PATTERN
from admin_api.schemas.common import Id, RequestModel, UtcDatetime
from admin_api.schemas.worklist import MAX_VALUES, Cursor
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage.services.audit_trail import MAX_PAGE, AuditQuery, AuditTrail

router = APIRouter(prefix=API_PREFIX, tags=["audit"])

Action = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}(\.[a-z_]{1,32}){0,3}$")]


class AuditParams(RequestModel):
    case_ref: Annotated[str, StringConstraints(pattern=REF_PATTERN)] | None = None
    actor_id: Id | None = None
    action: list[Action] = Field(
        default_factory=list, max_length=MAX_VALUES, description="Any of these actions."
    )
    since: UtcDatetime | None = Field(default=None, description="Inclusive.")
    until: UtcDatetime | None = Field(default=None, description="Exclusive.")
    cursor: Cursor | None = None
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)


@router.get(
    "/audit",
    response_model=AuditPageOut,
    summary="Audit log",
    responses=error_responses(401, 403, 422),
)
async def audit_log(
    params: Annotated[AuditParams, Query()],
    principal: AuditReaderDep,
    session: ReadSessionDep,
    core: CoreDep,
) -> AuditPageOut:
    """Newest first. Administrators see every event; focal points see the events of
    sensitive cases only."""
    page = await AuditTrail(session, core).page(
        principal.actor,
        AuditQuery(
            case_ref=params.case_ref,
            actor_id=params.actor_id,
            actions=tuple(params.action),
            since=params.since,
            until=params.until,
        ),
        cursor=params.cursor,
        limit=params.limit,
    )
    return AuditPageOut(
        items=[AuditEventOut.model_validate(event) for event in page.items],
        next_cursor=page.next_cursor,
    )
