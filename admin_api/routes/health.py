"""Liveness and readiness, outside /api/v1 and without authentication: they answer
probes and say nothing about cases or people. Metrics have their own listener
(:func:`admin_api.metrics.create_metrics_app`)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from admin_api.errors import error_response, error_responses
from admin_api.schemas.health import LiveOut, ReadyOut
from admin_api.web.sessions import CoreDep

router = APIRouter(tags=["health"])

# A readiness probe must answer even when the database hangs rather than refuses.
READY_TIMEOUT_SECONDS = 3.0


@router.get("/healthz", response_model=LiveOut, summary="Liveness")
async def healthz() -> LiveOut:
    """The process is up and serving."""
    return LiveOut()


@router.get("/readyz", response_model=ReadyOut, summary="Readiness", responses=error_responses(503))
async def readyz(core: CoreDep) -> ReadyOut | JSONResponse:
    """Ready when the database answers; 503 otherwise."""
    try:
        reachable = await asyncio.wait_for(core.database.ping(), READY_TIMEOUT_SECONDS)
    except TimeoutError:
        reachable = False
    if not reachable:
        return error_response(503, "database_unreachable", "The database does not answer.")
    return ReadyOut()
