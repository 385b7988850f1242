""" "You said, we did" on a case: staff write what changed, for the public; a
focal point other than the writer approves it; only then does it appear on the
transparency page. Closed, standard cases only; each step is an audit event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from admin_api.deps import ReadCaseWorkerDep, WriteCaseWorkerDep
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.cases import REF_PATTERN
from admin_api.schemas.public import PublicSummaryIn, PublicSummaryState
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.enums import Language
from storage.models import PublicSummary
from storage.services.transparency import TransparencyService

router = APIRouter(prefix=f"{API_PREFIX}/cases", tags=["transparency"])

Ref = Annotated[str, Path(pattern=REF_PATTERN, description="Staff reference.")]


def _state(summary: PublicSummary) -> PublicSummaryState:
    return PublicSummaryState(
        texts=dict(summary.texts),
        written_by=summary.written_by,
        written_at=summary.written_at.isoformat(),
        approved_by=summary.approved_by,
        approved_at=summary.approved_at.isoformat() if summary.approved_at else None,
        published=summary.approved_at is not None,
    )


@router.get(
    "/{ref}/public-summary",
    response_model=PublicSummaryState,
    summary="The case's public summary",
    responses=error_responses(401, 403, 404, 422),
)
async def get_public_summary(
    ref: Ref, principal: ReadCaseWorkerDep, session: ReadSessionDep, core: CoreDep
) -> PublicSummaryState:
    summary = await TransparencyService(session, core).get(ref, principal.actor)
    return _state(summary)


@router.put(
    "/{ref}/public-summary",
    response_model=PublicSummaryState,
    summary="Write the public summary",
    responses=error_responses(401, 403, 404, 409, 413, 422),
)
async def write_public_summary(
    ref: Ref,
    body: PublicSummaryIn,
    principal: WriteCaseWorkerDep,
    session: WriteSessionDep,
    core: CoreDep,
) -> PublicSummaryState:
    """In Ukrainian and/or English, for the public: what changed, never who reported.
    Rewriting a published summary takes it off the page until it is approved again.
    409 for a case that is not closed, or is sensitive (never published)."""
    texts = {
        Language(lang): text for lang, text in body.texts.model_dump(exclude_none=True).items()
    }
    summary = await TransparencyService(session, core).write(ref, principal.actor, texts)
    return _state(summary)


@router.post(
    "/{ref}/public-summary/approval",
    response_model=PublicSummaryState,
    summary="Approve the public summary (focal point)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_public_summary(
    ref: Ref, principal: WriteCaseWorkerDep, session: WriteSessionDep, core: CoreDep
) -> PublicSummaryState:
    """A focal point other than its writer; then it appears on /transparency."""
    summary = await TransparencyService(session, core).approve(ref, principal.actor)
    return _state(summary)


@router.delete(
    "/{ref}/public-summary",
    status_code=204,
    response_class=Response,
    summary="Withdraw the public summary",
    responses=error_responses(401, 403, 404, 422),
)
async def withdraw_public_summary(
    ref: Ref, principal: WriteCaseWorkerDep, session: WriteSessionDep, core: CoreDep
) -> Response:
    await TransparencyService(session, core).withdraw(ref, principal.actor)
    return Response(status_code=204)
