"""Pages anyone may open without signing in, beside the staff console: today the
transparency page (``/transparency``, :mod:`.transparency`).

They share the web layer with the console (:mod:`admin_api.web`: languages, templates,
headers, database scopes) and take nothing from the console or the JSON API. A page
here reads with :data:`~admin_api.web.sessions.ReadSessionDep`; one that takes a form
from the public writes with ``WriteSessionDep``, like every other route.
"""

from __future__ import annotations

from fastapi import FastAPI

from admin_api.public import transparency


def install(app: FastAPI) -> None:
    for module in (transparency,):
        app.include_router(module.router)
