"""What the public sees, without signing in (SPEC §7): ``GET /api/v1/public/summary``
and the ``/transparency`` page in Ukrainian and English.

Counts below 5, and totals that would reveal them, are withheld in storage
(:mod:`storage.services.transparency`), so the JSON and the page cannot disagree.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from admin_api.console.i18n import Texts
from admin_api.console.web import SECURITY_HEADERS, render
from admin_api.deps import CoreDep
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.routes.stats import ReadSessionDep
from admin_api.schemas.public import PublicParams, PublicSummaryOut
from storage.core import Core
from storage.db import Session
from storage.enums import Language
from storage.services.transparency import PublicSummaryFigures, TransparencyService

router = APIRouter(tags=["public"])


async def _figures(session: Session, core: Core, params: PublicParams) -> PublicSummaryFigures:
    service = TransparencyService(session, core)
    return await service.figures(months=params.months, language=Language(params.lang))


@router.get(
    f"{API_PREFIX}/public/summary",
    response_model=PublicSummaryOut,
    summary="Transparency figures (public)",
    responses=error_responses(422),
)
async def public_summary(
    params: Annotated[PublicParams, Query()], session: ReadSessionDep, core: CoreDep
) -> PublicSummaryOut:
    """Per Kyiv month: cases received (complaints and feedback, sensitive reports),
    satisfaction responses, share resolved within SLA, mean satisfaction; and what
    changed because people spoke up. No sign-in; counts below 5 are withheld."""
    figures = await _figures(session, core, params)
    return PublicSummaryOut.model_validate(figures, from_attributes=True)


@router.get("/transparency", response_class=HTMLResponse, include_in_schema=False)
async def transparency_page(
    request: Request,
    params: Annotated[PublicParams, Query()],
    session: ReadSessionDep,
    core: CoreDep,
) -> HTMLResponse:
    figures = await _figures(session, core, params)
    texts = Texts(params.lang, core.settings.timezone)
    response = render(request, "transparency.html", texts, figures=figures, months=params.months)
    for name, value in SECURITY_HEADERS:
        if name != b"cache-control":
            response.headers[name.decode()] = value.decode()
    return response
