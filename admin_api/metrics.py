"""Prometheus metrics of the API: requests, latency and sign-in outcomes.

Requests are labelled by route *template* (``/api/v1/cases/{ref}``), never by the raw
path, which carries case references; nothing identifies a person or a staff member.
Each app has its own registry, so several apps (tests, one process serving two ports)
never collide in the global one.

They are served by :func:`create_metrics_app` on a listener of their own
(``HOLOS_METRICS_HOST``/``HOLOS_METRICS_PORT``, loopback by default), never by the public
app: request counts by route and status tell an outsider when sensitive work happens.
No ``_created`` series: a counter's creation time is one more timestamp nobody needs.
"""

from __future__ import annotations

import time
from enum import StrEnum

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from admin_api.web.middleware import HttpMiddleware, WatchedSend

# prometheus_client ships this function without annotations.
disable_created_metrics()  # type: ignore[no-untyped-call]

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
HIDDEN = "hidden"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class SignInOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    THROTTLED = "throttled"


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "holos_api_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "holos_api_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.sign_ins = Counter(
            "holos_api_sign_ins",
            "Sign-in attempts by outcome (success, failure, throttled).",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in SignInOutcome:
            # Present from the start at 0, so a dashboard can rate() it before the first try.
            self.sign_ins.labels(outcome=outcome.value)

    def sign_in(self, outcome: SignInOutcome) -> None:
        self.sign_ins.labels(outcome=outcome.value).inc()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in KNOWN_METHODS else "other"
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.latency.labels(method=method, route=route).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware(HttpMiddleware):
    """Counts and times every HTTP request, by the route template the router matched."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        watched = WatchedSend(send)
        try:
            await self.app(scope, receive, watched)
        finally:
            # No answer started: the app raised, and the client gets a 500.
            status = watched.status or 500
            self.metrics.observe(
                scope["method"], route_label(scope), status, time.perf_counter() - started
            )


def route_label(scope: Scope) -> str:
    """The template of the route the router matched (stored in the scope), or a fixed word.

    A route kept out of the OpenAPI document is kept out of the metrics too: the webhook
    route's path is derived from its secret.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not path:
        return UNMATCHED
    if not getattr(route, "include_in_schema", True):
        return HIDDEN
    # Inside a mounted app the route's path is relative to the mount, kept in root_path.
    return f"{scope.get('root_path', '')}{path}"


def add_metrics_route(app: FastAPI, metrics: ApiMetrics) -> None:
    """``GET /metrics`` on ``app``: the metrics listener's, or the local sandbox's."""

    @app.get("/metrics", include_in_schema=False)
    async def scrape() -> Response:
        body, content_type = metrics.exposition()
        return Response(content=body, media_type=content_type)


def create_metrics_app(metrics: ApiMetrics) -> FastAPI:
    """The scrape endpoint alone, for its own (loopback by default) listener."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    add_metrics_route(app, metrics)
    return app
