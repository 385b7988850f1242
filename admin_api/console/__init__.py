"""The staff console: server-rendered pages under ``/console`` in the API's own
app, calling the storage services directly with the same roles, visibility rule and
audit events as the JSON API. Jinja2 templates, a vendored htmx, no build step.

It shares the web layer with the JSON API (:mod:`admin_api.web`) and imports nothing of
the API's own (routes, schemas, dependencies): ``tests/test_architecture.py``."""

from __future__ import annotations

from fastapi import FastAPI

from admin_api.console.routes import (
    account,
    admin,
    case,
    feedback_points,
    feedback_results,
    indicators,
    intake,
    partners,
    posters,
    public_summary,
    sign_in,
    surveys,
    templates,
    worklist,
)
from admin_api.console.web import HERE, PREFIX, ConsoleHeaders
from admin_api.web.headers import RevalidatedStaticFiles
from admin_api.web.routing import add_routes


def install(app: FastAPI) -> None:
    # "New case" before a case: /cases/new is no case reference.
    routers = (
        sign_in,
        account,
        worklist,
        intake,
        case,
        admin,
        indicators,
        feedback_points,
        feedback_results,
        partners,
        posters,
        public_summary,
        templates,
        surveys,
    )
    for router in (module.router for module in routers):
        add_routes(app, router)
    app.mount(
        f"{PREFIX}/static", RevalidatedStaticFiles(directory=HERE / "static"), name="console-static"
    )
    app.add_middleware(ConsoleHeaders)
