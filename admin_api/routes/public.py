"""What the public reads without signing in: ``GET /api/v1/public/summary``.
The same figures as a page are :mod:`admin_api.public` (``/transparency``).

Counts below 5, and totals that would reveal them, are withheld in storage
(:mod:`storage.services.transparency`), so the JSON and the page cannot disagree.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.public import PublicParams, PublicSummaryOut
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage.enums import Language
from storage.services.transparency import TransparencyService

router = APIRouter(tags=["public"])


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
    figures = await TransparencyService(session, core).figures(
        months=params.months, language=Language(params.lang)
    )
    return PublicSummaryOut.model_validate(figures, from_attributes=True)
