"""Streamed exports of cases and ratings as CSV or XLSX (SPEC §7 ``GET /export``).

The audit event is written in the request's transaction before the first byte; the rows
are then read in batches of their own and streamed, so memory stays flat however long
the period (up to ``HOLOS_STATS_MAX_DAYS``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from admin_api.console.i18n import translations
from admin_api.deps import CoreDep, PrincipalDep, SessionDep
from admin_api.downloads import DOWNLOAD_HEADERS
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.stats import ExportParams
from storage.access import Actor
from storage.core import Core
from storage.db import Session
from storage.repositories.filters import RatingFilter
from storage.services.exports import (
    MEDIA_TYPES,
    ExportFormat,
    ExportKind,
    ExportRequest,
    ExportService,
    columns_for,
    csv_chunks,
    headers,
    xlsx_chunks,
)
from storage.services.stats import StatsService

router = APIRouter(prefix=API_PREFIX, tags=["monitoring and evaluation"])


@router.get(
    "/export",
    response_class=StreamingResponse,
    summary="Export cases or ratings (CSV or XLSX)",
    responses={
        200: {
            "description": "One row per case or rating, streamed.",
            "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()},
        },
        **error_responses(401, 403, 422),
    },
)
async def export(
    params: Annotated[ExportParams, Query()],
    principal: PrincipalDep,
    session: SessionDep,
    core: CoreDep,
) -> StreamingResponse:
    """Same filters as the worklist, for a period of Kyiv calendar days. Headers in
    English, or Ukrainian with `lang=uk`. No narrative, contact, assignee or tags for
    analysts and administrators; sensitive narratives are never exported in bulk."""
    kind, fmt = ExportKind(params.kind), ExportFormat(params.format)
    for code in params.programme:
        core.catalog.programme(code)
    period = StatsService(session, core).period(params.from_, params.to)
    request = ExportRequest(
        kind=kind,
        period=period,
        cases=params.case_filter(core.catalog),
        ratings=RatingFilter(
            kinds=[k.value for k in params.rating_kind],
            programmes=list(params.programme),
            languages=[lang.value for lang in params.language],
            scores=list(params.score),
        ),
        lang=params.lang,
    )
    return stream_export(session, core, principal.actor, request, fmt)


def stream_export(
    session: Session, core: Core, actor: Actor, request: ExportRequest, fmt: ExportFormat
) -> StreamingResponse:
    """Check, audit (in the caller's transaction) and stream one export: the API's and
    the console's download alike. Headers in ``request.lang`` through gettext."""
    service = ExportService(core)
    service.check(actor, request)
    service.record(session, actor, request, fmt.value)
    columns = columns_for(request.kind, actor)
    header = headers(columns, translations(request.lang).gettext)
    rows = service.rows(actor, request)
    period, kind = request.period, request.kind
    title = f"{kind.value} {period.first.isoformat()} {period.last.isoformat()}"
    body = (
        csv_chunks(header, rows)
        if fmt is ExportFormat.CSV
        else xlsx_chunks(columns, header, rows, title=title)
    )
    filename = (
        f"holos-{kind.value}-{period.first.isoformat()}-{period.last.isoformat()}.{fmt.value}"
    )
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **DOWNLOAD_HEADERS},
    )
