"""How the three faces add their routes to an app.

FastAPI's ``include_router`` derives every route's dependencies and parameter models
again for the app it is included in (lazily, at the app's first request). Our routers
are module-level and take nothing at inclusion (their prefix, tags and route class are
set where they are declared), so the routes they built at import are already final:
adding those to the app costs nothing, where including them cost about 250 ms of CPU
for each new app. A server builds one app; the test suite builds hundreds, one per test.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Add ``router``'s routes to ``app`` as they are (``include_router`` with no
    arguments, without re-deriving them)."""
    # Only what include_router would otherwise carry over: a router with its own event
    # handlers or lifespan must be included the usual way.
    if router.on_startup or router.on_shutdown:
        raise ValueError("a router with event handlers needs app.include_router")
    app.router.routes.extend(router.routes)
