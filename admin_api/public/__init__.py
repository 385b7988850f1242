"""Pages anyone may open without signing in, beside the staff console: the
transparency page (``/transparency``, :mod:`.transparency`), the anonymous web form
(``/report``, ``/status``, :mod:`.web_form`; off unless ``HOLOS_WEB_FORM``) and a
feedback point's page (``/r/<code>``, :mod:`.feedback`), which its poster links to.

They share the web layer with the console (:mod:`admin_api.web`: languages, templates,
headers, database scopes) and take nothing from the console or the JSON API. A page
here reads with :data:`~admin_api.web.sessions.ReadSessionDep`; one that takes a form
from the public writes with ``WriteSessionDep``, like every other route.
"""

from __future__ import annotations

from fastapi import FastAPI

from admin_api.public import feedback, transparency, web_form
from admin_api.web.routing import add_routes


def install(app: FastAPI) -> None:
    for module in (transparency, web_form, feedback):
        add_routes(app, module.router)
