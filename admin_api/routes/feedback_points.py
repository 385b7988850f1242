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
from admin_api.schemas.feedback_results import FeedbackResultsOut, ResultsParams, results_out
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage.services.feedback_points import FeedbackPointService
from storage.services.feedback_results import FeedbackResultsService

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


@router.get(
    "/{code}/results",
    response_model=FeedbackResultsOut,
    summary="A feedback point's results",
    responses=error_responses(401, 404, 422),
)
async def feedback_point_results(
    code: PointCode,
    params: Annotated[ResultsParams, Query()],
    principal: ReadPrincipalDep,
    session: ReadSessionDep,
    core: CoreDep,
) -> FeedbackResultsOut:
    """Survey responses in the period (Kyiv calendar days), the response rate where the
    point says how many people it serves, the satisfaction ratings given there, and per
    question: answers, the distribution (per choice or score), the mean of a scale,
    the share satisfied (4–5 on a 1–5 scale), crossings of a scale with the demographic
    questions (groups below 5 pooled), and text answers (operators and focal points;
    other roles get their count)."""
    service = FeedbackResultsService(session, core)
    period = service.period(params.from_, params.to)
    result = await service.point(principal.actor, code, period)
    return results_out(result, period)
