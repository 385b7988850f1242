"""Liveness, readiness (with the database gone), and what the metrics record."""

from __future__ import annotations

import dataclasses
import re

import httpx

from admin_api.app import create_app
from admin_api.server import bind_socket, running_api
from storage.db import Database
from tests.admin_api.helpers import Api
from tests.storage.helpers import submit


async def test_liveness_and_readiness(api: Api) -> None:
    live = await api.http.get("/healthz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    ready = await api.http.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "database": "ok"})


async def test_not_ready_without_a_database(api: Api) -> None:
    # Nothing listens on port 1: the database is unreachable, the process is still alive.
    gone = Database("postgresql+asyncpg://postgres@127.0.0.1:1/holos")
    app = create_app(dataclasses.replace(api.core, database=gone))
    try:
        async with (
            running_api(app, bind_socket("127.0.0.1", 0)) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["code"] == "database_unreachable"
            assert (await http.get("/healthz")).status_code == 200
    finally:
        await gone.dispose()


def sample(metrics: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


async def test_metrics_count_by_route_template_never_by_identity(staffed: Api) -> None:
    api = staffed
    made = await submit(api.core, narrative="Нарратив, якого не має бути в метриках")
    for _ in range(2):
        await api.call("GET", f"/api/v1/cases/{made.ref}", "operator")
    await api.call("GET", "/api/v1/cases/HL-2026-999999", "operator")
    await api.call("GET", "/api/v1/cases", "analyst")
    await api.http.get("/no/such/path")
    await api.login("operator", "wrong-password-here")

    response = await api.metrics_http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.text
    route = "/api/v1/cases/{ref}"
    assert sample(text, "holos_api_requests_total", method="GET", route=route, status="200") == 2
    assert sample(text, "holos_api_requests_total", method="GET", route=route, status="404") == 1
    assert (
        sample(text, "holos_api_requests_total", method="GET", route="/api/v1/cases", status="403")
        == 1
    )
    assert (
        sample(text, "holos_api_requests_total", method="GET", route="unmatched", status="404") == 1
    )
    assert sample(text, "holos_api_request_duration_seconds_count", method="GET", route=route) == 3
    assert sample(text, "holos_api_sign_ins_total", outcome="success") == 4  # the four roles
    assert sample(text, "holos_api_sign_ins_total", outcome="failure") == 1
    # No raw path, ref, name, narrative or token in any label.
    for secret in (made.ref, "HL-2026-999999", "/no/such/path", "operator", "Нарратив"):
        assert secret not in text
    for token in api.tokens.values():
        assert token not in text
