"""The transparency page: the public figures and "you said, we did", in
Ukrainian and English, the same figures as ``GET /api/v1/public/summary``.

Counts below 5, and totals that would reveal them, are withheld in storage
(:mod:`storage.services.transparency`), so the JSON and the page cannot disagree.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from admin_api.public.common import STYLESHEET, templates
from admin_api.web.headers import PAGE_HEADERS
from admin_api.web.i18n import Texts
from admin_api.web.pages import render_page
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage.core import Core
from storage.enums import Language
from storage.services.transparency import MAX_MONTHS, TransparencyService

router = APIRouter(include_in_schema=False)


# The anonymous web form's address (served when ``HOLOS_WEB_FORM`` turns it on).
WEB_FORM_PATH = "/report"


def web_form_enabled(core: Core) -> bool:
    """Whether the page links to the web form (``HOLOS_WEB_FORM``)."""
    return core.settings.web_form


class PageParams(BaseModel):
    # An unknown parameter is refused, as on the API (admin_api.schemas.public).
    model_config = ConfigDict(extra="forbid")

    lang: Literal["uk", "en"] = "uk"
    months: int = Field(default=12, ge=1, le=MAX_MONTHS)


@router.get("/transparency", response_class=HTMLResponse)
async def transparency_page(
    request: Request,
    params: Annotated[PageParams, Query()],
    session: ReadSessionDep,
    core: CoreDep,
) -> HTMLResponse:
    figures = await TransparencyService(session, core).figures(
        months=params.months, language=Language(params.lang), from_first=True
    )
    texts = Texts(params.lang, core.settings.timezone)
    settings = core.settings
    response = render_page(
        templates,
        request,
        "transparency.html",
        texts,
        figures=figures,
        months=params.months,
        stylesheet=STYLESHEET,
        bot_link=f"https://t.me/{settings.bot_username}" if settings.bot_username else None,
        web_form_link=WEB_FORM_PATH if web_form_enabled(core) else None,
    )
    # A public page may be cached: every page header but no-store.
    for name, value in PAGE_HEADERS:
        if name != b"cache-control":
            response.headers[name.decode()] = value.decode()
    return response
