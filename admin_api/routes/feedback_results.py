"""A feedback point's results (issue 24): ``GET /feedback-points/{code}/results``, the
figures the console's dashboard and results page show, per question.

Every signed-in role reads them; text answers are given to operators and focal points
only, as rating comments are; figures crossed with sex, age group or disability are
withheld for groups below 5 (:mod:`storage.survey_results`). The point's responses as a
file: ``GET /export?kind=feedback_responses&point=CODE``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from admin_api.deps import ReadPrincipalDep
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.feedback_results import FeedbackResultsOut, ResultsParams, results_out
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage.services.feedback_results import FeedbackResultsService

router = APIRouter(prefix=f"{API_PREFIX}/feedback-points", tags=["feedback points"])

PointCode = Annotated[
    str, Path(pattern=r"^[0-9A-Za-z]{6}$", description="The point's code, any case.")
]


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
