"""Feedback points (issue 24): the places where assistance is given and people are
asked about it. Analysts, focal points and administrators keep them; every staff
member reads them. A point's page shows its code, its Telegram deep link and its web
link, and leads to its survey, its poster and its results (pages of their own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from admin_api.console import forms
from admin_api.console.web import (
    PREFIX,
    ConsoleRoute,
    ReadViewerDep,
    Viewer,
    WriteViewerDep,
    go,
    render,
)
from admin_api.web.i18n import Texts
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.core import Core
from storage.db import Session
from storage.errors import InvalidFeedbackPoint, UnknownOblast, UnknownProgramme
from storage.models import FeedbackPoint
from storage.services.feedback_points import (
    MAX_NAME_CHARS,
    MAX_SITE_CHARS,
    FeedbackPointService,
    availability,
    deep_link,
    web_link,
)

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

PAGE = f"{PREFIX}/feedback-points"
Code = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{6}$")]
Field = Annotated[str, Form(max_length=MAX_NAME_CHARS * 2)]
Day = Annotated[str, Form(max_length=10)]


def may_keep(viewer: Viewer) -> bool:
    return viewer.actor.can_manage_feedback_points


@dataclass(frozen=True)
class Typed:
    """The form as typed: shown again when it is refused, so nothing is lost."""

    name: str = ""
    programme: str = ""
    oblast: str = ""
    site: str = ""
    active_from: str = ""
    active_until: str = ""
    served: str = ""

    @classmethod
    def of(cls, point: FeedbackPoint) -> Typed:
        return cls(
            name=point.name,
            programme=point.programme,
            oblast=point.oblast,
            site=point.site or "",
            active_from=point.active_from.isoformat(),
            active_until=point.active_until.isoformat() if point.active_until else "",
            served=str(point.served) if point.served is not None else "",
        )

    def fields(self) -> dict[str, Any]:
        """The service's keyword arguments (a date or number that is none is refused)."""
        first = _day(self.active_from)
        if first is None:
            raise InvalidFeedbackPoint("dates", "The first day is not a date.")
        last = _day(self.active_until) if self.active_until.strip() else None
        if self.active_until.strip() and last is None:
            raise InvalidFeedbackPoint("dates", "The last day is not a date.")
        served = self.served.strip()
        if served and not served.isdecimal():
            raise InvalidFeedbackPoint("served", "The number served is not a number.")
        return {
            "name": self.name,
            "programme": self.programme,
            "oblast": self.oblast,
            "site": self.site or None,
            "active_from": first,
            "active_until": last,
            "served": int(served) if served else None,
        }


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def state_of(point: FeedbackPoint, today: date, texts: Texts) -> tuple[str, str]:
    """``(css class, words)`` for whether the point's link opens today."""
    reason = availability(point, today)
    if reason is None:
        return "ok", texts.pgettext("feedback point", "Open")
    if reason.value == "not_yet":
        return "muted", texts.pgettext("feedback point", "Opens {day}").format(
            day=point.active_from.isoformat()
        )
    return "muted", texts.pgettext("feedback point", "Closed")


def choices(core: Core, language: str) -> dict[str, list[tuple[str, str]]]:
    catalog = core.catalog
    return {
        "programmes": [(p.code, p.name(language)) for p in catalog.programmes],
        "oblasts": [(o.code, o.name(language)) for o in catalog.oblasts],
    }


def names(core: Core, point: FeedbackPoint, language: str) -> dict[str, str]:
    """The point's programme and oblast as staff read them (a code no longer in the
    catalogue stays a code)."""
    catalog = core.catalog
    try:
        programme = catalog.programme(point.programme).name(language)
    except UnknownProgramme:
        programme = point.programme
    try:
        oblast = catalog.oblast(point.oblast).name(language)
    except UnknownOblast:
        oblast = point.oblast
    return {"programme": programme, "oblast": oblast}


# The list ---------------------------------------------------------------------------


async def list_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    *,
    programme: str = "",
    oblast: str = "",
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    service = FeedbackPointService(session, core)
    offered = choices(core, viewer.language)
    # Read as leniently as a bookmark: a code that is not in the lists is no filter.
    programme = programme if programme in dict(offered["programmes"]) else ""
    oblast = oblast if oblast in dict(offered["oblasts"]) else ""
    points = await service.list(programme=programme or None, oblast=oblast or None)
    today = service.today()
    rows = [
        {
            "point": point,
            "state": state_of(point, today, viewer.texts),
            **names(core, point, viewer.language),
        }
        for point in points
    ]
    return render(
        request,
        "feedback_points.html",
        viewer.texts,
        viewer,
        status_code=status_code,
        rows=rows,
        chosen={"programme": programme, "oblast": oblast},
        may_keep=may_keep(viewer),
        typed=extra.pop("typed", Typed(active_from=today.isoformat())),
        max_name=MAX_NAME_CHARS,
        max_site=MAX_SITE_CHARS,
        **offered,
        **extra,
    )


@router.get("/feedback-points")
async def feedback_points(
    request: Request,
    viewer: ReadViewerDep,
    session: ReadSessionDep,
    core: CoreDep,
    programme: Annotated[str, Query(max_length=32)] = "",
    oblast: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    return await list_page(request, viewer, session, core, programme=programme, oblast=oblast)


@router.post("/feedback-points")
async def add_feedback_point(
    request: Request,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    name: Field = "",
    programme: Annotated[str, Form(max_length=32)] = "",
    oblast: Annotated[str, Form(max_length=16)] = "",
    site: Field = "",
    active_from: Day = "",
    active_until: Day = "",
    served: Annotated[str, Form(max_length=9)] = "",
) -> Response:
    typed = Typed(name, programme, oblast, site, active_from, active_until, served)
    service = FeedbackPointService(session, core)
    made: list[FeedbackPoint] = []

    async def create() -> None:
        made.append(await service.create(viewer.actor, **typed.fields()))

    async def created() -> Response:
        return go(request, f"{PAGE}/{made[0].code}")

    page = partial(list_page, request, viewer, session, core)
    return await forms.Form(request, viewer.texts, page).submit(
        create(),
        done=created,
        error_key="create_error",
        passes=("permission_denied",),
        typed=typed,
    )


# One point --------------------------------------------------------------------------


async def point_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    code: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    service = FeedbackPointService(session, core)
    point = await service.get(code)
    survey = point.survey_definition
    bot = core.telegram_username
    public_url = core.settings.public_url
    return render(
        request,
        "feedback_point.html",
        viewer.texts,
        viewer,
        status_code=status_code,
        point=point,
        state=state_of(point, service.today(), viewer.texts),
        questions=len(survey.asked) if survey else 0,
        deep_link=deep_link(bot.lstrip("@"), point.code) if bot else None,
        web_link=web_link(public_url, point.code) if public_url else None,
        may_keep=may_keep(viewer),
        typed=extra.pop("typed", Typed.of(point)),
        max_name=MAX_NAME_CHARS,
        max_site=MAX_SITE_CHARS,
        **names(core, point, viewer.language),
        **choices(core, viewer.language),
        **extra,
    )


@router.get("/feedback-points/{code}")
async def feedback_point(
    request: Request, code: Code, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    return await point_page(request, viewer, session, core, code)


@router.post("/feedback-points/{code}")
async def change_feedback_point(
    request: Request,
    code: Code,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    name: Field = "",
    programme: Annotated[str, Form(max_length=32)] = "",
    oblast: Annotated[str, Form(max_length=16)] = "",
    site: Field = "",
    active_from: Day = "",
    active_until: Day = "",
    served: Annotated[str, Form(max_length=9)] = "",
) -> Response:
    typed = Typed(name, programme, oblast, site, active_from, active_until, served)
    service = FeedbackPointService(session, core)
    page = partial(point_page, request, viewer, session, core, code)

    async def change() -> None:
        await service.update(viewer.actor, code, **typed.fields())

    async def saved() -> Response:
        return await page(done=viewer.texts._("Saved."))

    return await forms.Form(request, viewer.texts, page).submit(
        change(),
        done=saved,
        error_key="edit_error",
        passes=("feedback_point_not_found", "permission_denied"),
        typed=typed,
    )
