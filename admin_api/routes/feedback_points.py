"""Feedback points (issue 24): the places where assistance is given and people rate it
or answer a short survey. Everyone signed in reads them (the console keeps them); the
results per point live under ``/{code}/...`` beside the point."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from admin_api.deps import ReadPrincipalDep
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.feedback_points import (
    FeedbackPointDetail,
    FeedbackPointList,
    FeedbackPointOut,
)
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage.services.feedback_points import FeedbackPointService

router = APIRouter(prefix=f"{API_PREFIX}/feedback-points", tags=["feedback points"])

# Read case-insensitively; six characters of the code alphabet.
PointCode = Annotated[
    str, Path(pattern=r"^[0-9A-Za-z]{6}$", description="The point's code, any case.")
]


@router.get(
    "",
    response_model=FeedbackPointList,
    summary="Feedback points",
    responses=error_responses(401, 422),
)
async def list_feedback_points(
    principal: ReadPrincipalDep,
    session: ReadSessionDep,
    core: CoreDep,
    programme: Annotated[str | None, Query(max_length=32)] = None,
    oblast: Annotated[str | None, Query(max_length=16)] = None,
    active_on: Annotated[date | None, Query(description="Only those open that day.")] = None,
) -> FeedbackPointList:
    """Every feedback point, the latest to open first; narrowed by programme, oblast
    and a day it is open. An unknown programme or oblast is refused (422)."""
    if programme is not None:
        programme = core.catalog.programme(programme).code
    if oblast is not None:
        oblast = core.catalog.oblast(oblast).code
    points = await FeedbackPointService(session, core).list(
        programme=programme, oblast=oblast, active_on=active_on
    )
    return FeedbackPointList(items=[FeedbackPointOut.of(p, core) for p in points])


@router.get(
    "/{code}",
    response_model=FeedbackPointDetail,
    summary="A feedback point",
    responses=error_responses(401, 404, 422),
)
async def get_feedback_point(
    code: PointCode, principal: ReadPrincipalDep, session: ReadSessionDep, core: CoreDep
) -> FeedbackPointDetail:
    """One point, with its survey's definition."""
    point = await FeedbackPointService(session, core).get(code)
    return FeedbackPointDetail.of(point, core)
