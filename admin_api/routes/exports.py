"""Streamed exports of cases and ratings as CSV or XLSX (``GET /export``).

The audit event is written in the request's transaction before the first byte; the rows
are then read in batches of their own and streamed, so memory stays flat however long
the period (up to ``HOLOS_STATS_MAX_DAYS``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from admin_api.deps import ReadPrincipalDep
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.stats import ExportParams
from admin_api.web.downloads import export_response
from admin_api.web.i18n import translations
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage.errors import InvalidInput
from storage.repositories.filters import RatingFilter
from storage.services.exports import (
    MEDIA_TYPES,
    ExportFormat,
    ExportKind,
    ExportRequest,
    ExportService,
)
from storage.services.feedback_export import start_feedback
from storage.services.stats import StatsService

router = APIRouter(prefix=API_PREFIX, tags=["monitoring and evaluation"])


@router.get(
    "/export",
    response_class=StreamingResponse,
    summary="Export cases, ratings or a feedback point's responses (CSV or XLSX)",
    responses={
        200: {
            "description": "One row per case, rating or survey response, streamed.",
            "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()},
        },
        **error_responses(401, 403, 404, 422),
    },
)
async def export(
    params: Annotated[ExportParams, Query()],
    principal: ReadPrincipalDep,
    session: ReadSessionDep,
    core: CoreDep,
) -> StreamingResponse:
    """Same filters as the worklist, for a period of Kyiv calendar days. Headers and
    names (category, status, oblast, programme, language, channel…) in English, or
    Ukrainian with `lang=uk`; each named code also in a column of its own. No narrative, contact, assignee or tags for
    analysts and administrators; sensitive narratives are never exported in bulk."""
    for code in params.programme:
        core.catalog.programme(code)
    if params.kind == ExportKind.FEEDBACK.value:
        if params.point is None:
            raise InvalidInput("point: name the feedback point whose responses to export.")
        feedback = ExportRequest(
            kind=ExportKind.FEEDBACK,
            period=StatsService(session, core).period(params.from_, params.to),
            lang=params.lang,
            point=params.point,
        )
        feedback_export = await start_feedback(
            ExportService(core),
            session,
            principal.actor,
            feedback,
            ExportFormat(params.format),
            translations(feedback.lang),
        )
        return export_response(feedback_export)
    request = ExportRequest(
        kind=ExportKind(params.kind),
        period=StatsService(session, core).period(params.from_, params.to),
        cases=params.case_filter(core.catalog),
        ratings=RatingFilter(
            kinds=[k.value for k in params.rating_kind],
            programmes=list(params.programme),
            languages=[lang.value for lang in params.language],
            scores=list(params.score),
        ),
        lang=params.lang,
    )
    started = ExportService(core).start(
        session, principal.actor, request, ExportFormat(params.format), translations(request.lang)
    )
    return export_response(started)
