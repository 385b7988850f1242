"""The routes an app is built with (admin_api/web/routing.py): the same API as
``include_router`` gives, from route objects built once per process."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

import admin_api.app
import admin_api.console
import admin_api.public
from admin_api.app import create_app
from storage.core import Core

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _including(app: FastAPI, router: APIRouter) -> None:
    """What add_routes replaces."""
    app.include_router(router)


async def test_a_second_app_reuses_the_routes_the_first_one_built(core: Core) -> None:
    first, second = create_app(core), create_app(core)
    shared = [r for r in first.router.routes if r in second.router.routes]
    # Only FastAPI's own few (the schema) are made per app; every one of ours is shared,
    # so no app derives a route's dependencies again.
    assert len(shared) > 100
    assert len(first.router.routes) - len(shared) <= 2
    # Each app's list is its own: a route added to one is not in the other.
    second.add_api_route("/only-here", lambda: None)
    assert len(second.router.routes) == len(first.router.routes) + 1


async def test_the_schema_and_the_pages_are_those_include_router_gives(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    core.settings.api_docs = True
    ours = create_app(core)
    for module in (admin_api.app, admin_api.console, admin_api.public):
        monkeypatch.setattr(module, "add_routes", _including)
    theirs = create_app(core)
    assert ours.openapi() == theirs.openapi()
    paths = {getattr(r, "path", None) for r in ours.routes}
    assert {"/api/v1/cases", "/console/cases/{ref}", "/transparency", "/report"} <= paths
