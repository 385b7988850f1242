"""A feedback point's printable poster (issue 24): ``/console/feedback-points/{code}/poster``
with ``lang`` (uk, ru, en, or all three on one sheet) and ``size`` (A4 or A5).

A page made for paper: print CSS that sets the page size, black on white, big type; the
QR code (segno, inline SVG) holds the point's web link, and the sheet says both links in
words for people who cannot scan. The poster's words are in the poster's language, not
the staff member's; the toolbar above it (which does not print) is in theirs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict

from admin_api.console.web import PREFIX, ConsoleRoute, ReadViewerDep, render
from admin_api.web.feedback_links import bare, deep_link, local_today, qr_svg, web_link
from admin_api.web.i18n import Texts
from admin_api.web.sessions import CoreDep, ReadSessionDep
from storage.services.feedback_points import FeedbackPointService

router = APIRouter(
    prefix=f"{PREFIX}/feedback-points", route_class=ConsoleRoute, include_in_schema=False
)

POSTER_LANGUAGES = (("uk", "Українська"), ("ru", "Русский"), ("en", "English"))
ALL = "all"
SIZES = ("A4", "A5")


class PosterParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Literal["uk", "ru", "en", "all"] = "uk"
    size: Literal["A4", "A5", "a4", "a5"] = "A4"


@router.get("/{code}/poster", response_class=HTMLResponse)
async def poster(
    request: Request,
    code: str,
    params: Annotated[PosterParams, Query()],
    viewer: ReadViewerDep,
    session: ReadSessionDep,
    core: CoreDep,
) -> HTMLResponse:
    # Every staff role reads feedback points (storage.access); a code that names none is
    # the console's 404 page.
    point = await FeedbackPointService(session, core).get(code)
    languages = [c for c, _ in POSTER_LANGUAGES] if params.lang == ALL else [params.lang]
    link = web_link(core, request, point.code)
    telegram = deep_link(core, point.code)
    texts = viewer.texts
    settings = core.settings
    return render(
        request,
        "poster.html",
        texts,
        viewer,
        point=point,
        poster_languages=[*POSTER_LANGUAGES, (ALL, texts._("all three"))],
        poster_lang=params.lang,
        size=params.size.upper(),
        sizes=SIZES,
        sections=[Texts(language, settings.timezone) for language in languages],
        link=link,
        web_text=bare(link.url),
        telegram=telegram,
        telegram_text=bare(telegram) if telegram else "",
        qr=qr_svg(link.url, title=bare(link.url)),
        survey=point.survey_definition is not None,
        hotline=settings.hotline_phone,
        hotline_hours=settings.hotline_hours,
        # A poster of a closed point sends people to a page that says it is closed.
        closed_on=(
            point.active_until
            if point.active_until is not None and point.active_until < local_today(core)
            else None
        ),
    )
