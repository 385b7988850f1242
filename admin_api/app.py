"""The triage API application (under ``/api/v1``), built around an existing :class:`Core`: the
JSON API (``routes``), the staff console (``console``) and the public pages (``public``),
three faces over one web layer (``web``) and the storage services. The one module that
puts them together.

The caller owns the Core (the CLI builds it once and may share it with the bot), so the
app neither creates nor disposes of it.
"""

from __future__ import annotations

from fastapi import FastAPI

from admin_api.console import install as install_console
from admin_api.console.web import PREFIX as CONSOLE_PREFIX
from admin_api.console.web import http_error_page
from admin_api.docs import install_docs
from admin_api.errors import InternalErrorMiddleware, install_error_handlers
from admin_api.limits import BodyLimitMiddleware
from admin_api.metrics import ApiMetrics, MetricsMiddleware
from admin_api.public import install as install_public_pages
from admin_api.routes import (
    audit,
    auth,
    cases,
    exports,
    feedback_points,
    health,
    partners,
    public,
    public_summaries,
    stats,
    templates,
    users,
)
from admin_api.web.headers import SecurityHeadersMiddleware
from admin_api.web.routing import add_routes
from storage.core import Core

DESCRIPTION = """\
Triage API of Holos, the anonymous complaints and feedback service.

Sign in with `POST /api/v1/auth/token` (OAuth2 password form) and send the token as
`Authorization: Bearer <token>`. Errors are JSON: a stable `code` and a human `detail`.
Sensitive cases exist only for roles allowed to see them.
"""


def create_app(core: Core) -> FastAPI:
    metrics = ApiMetrics()
    app = FastAPI(
        title="Holos triage API",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # our own page, with packaged assets (admin_api.docs)
        redoc_url=None,
    )
    app.state.core = core
    app.state.metrics = metrics
    # Under /console the framework's own errors are console pages, never JSON.
    pages = [(f"{CONSOLE_PREFIX}/", http_error_page)]
    install_error_handlers(app, pages=pages)
    for router in (
        auth.router,
        cases.router,
        partners.router,
        templates.router,
        users.router,
        audit.router,
        health.router,
    ):
        add_routes(app, router)
    # Monitoring and evaluation: figures, exports, and what the public reads.
    for router in (
        stats.router,
        exports.router,
        feedback_points.router,
        public_summaries.router,
        public.router,
    ):
        add_routes(app, router)
    install_console(app)
    install_public_pages(app)
    if core.settings.api_docs:
        install_docs(app)
    # Added innermost first. Metrics sees every answer, the 500s of InternalErrorMiddleware
    # included; the body limit sits closest to the routes, so its 413 escapes nothing.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=core.settings.api_max_body_bytes)
    app.add_middleware(InternalErrorMiddleware, pages=pages)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    # Outermost: the 500s and 413s get the headers too.
    app.add_middleware(SecurityHeadersMiddleware)
    return app
