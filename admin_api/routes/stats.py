"""M&E indicators and satisfaction records: ``/stats`` and ``/ratings``.

Every staff role may ask; what a role counts is decided in storage
(:mod:`storage.services.stats`): sensitive cases are counted by category for focal
points, as one ``sensitive`` group for analysts, and not at all for anyone else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from admin_api.deps import ReadPrincipalDep
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.stats import (
    RatingOut,
    RatingPage,
    RatingParams,
    StatsOut,
    StatsParams,
)
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage.repositories.filters import RatingFilter
from storage.services.rating_list import RatingList
from storage.services.stats import StatsService

router = APIRouter(prefix=API_PREFIX, tags=["monitoring and evaluation"])


@router.get(
    "/stats",
    response_model=StatsOut,
    summary="M&E indicators for a period",
    responses=error_responses(401, 403, 422),
)
async def stats(
    params: Annotated[StatsParams, Query()],
    principal: ReadPrincipalDep,
    session: ReadSessionDep,
    core: CoreDep,
) -> StatsOut:
    """Cases received; shares acknowledged and resolved within SLA; median and 90th
    percentile hours to acknowledge and resolve; open and overdue; satisfaction (count,
    mean, share 4–5, distribution, top reasons for 1–2) overall, by programme and by
    month; handling satisfaction of closed cases. `from`/`to` are Kyiv calendar days."""
    service = StatsService(session, core)
    flt = params.case_filter(core.catalog)
    period = service.period(params.from_, params.to)
    report = await service.report(principal.actor, flt, period, group_by=params.group_by)
    return StatsOut.model_validate(report)


@router.get(
    "/ratings",
    response_model=RatingPage,
    summary="Satisfaction records",
    responses=error_responses(401, 403, 422),
)
async def ratings(
    params: Annotated[RatingParams, Query()],
    principal: ReadPrincipalDep,
    session: ReadSessionDep,
    core: CoreDep,
) -> RatingPage:
    """Oldest first, in pages; follow `next_cursor`. Comments (the reporter's own words)
    are shown to operators and focal points only."""
    for code in params.programme:
        core.catalog.programme(code)
    period = StatsService(session, core).period(params.from_, params.to)
    flt = RatingFilter(
        kinds=[k.value for k in params.kind],
        programmes=list(params.programme),
        languages=[lang.value for lang in params.language],
        scores=list(params.score),
    )
    page = await RatingList(session, core).page(
        principal.actor, flt, period, cursor=params.cursor, limit=params.limit
    )
    return RatingPage(
        items=[
            RatingOut(
                id=item.rating.id,
                kind=item.rating.kind,
                created_at=item.rating.created_at,
                programme=item.rating.programme,
                score=item.rating.score,
                reasons=list(item.rating.reasons or []),
                language=item.rating.language,
                channel=item.rating.channel,
                comment=item.comment,
            )
            for item in page.items
        ],
        next_cursor=page.next_cursor,
        total=page.total,
    )
