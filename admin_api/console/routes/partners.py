"""The list of partners cases are referred to: administrators keep it (issue 22)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import HTMLResponse

from admin_api.console import forms
from admin_api.console.web import (
    PREFIX,
    ConsoleRoute,
    ReadViewerDep,
    Viewer,
    WriteViewerDep,
    render,
    require,
)
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.core import Core
from storage.db import Session
from storage.enums import Role
from storage.services.outcomes import MAX_PARTNER_NAME, PartnerService

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


def may_keep(viewer: Viewer) -> bool:
    return viewer.actor.role is Role.ADMIN


async def partners_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    *,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    return render(
        request,
        "partners.html",
        viewer.texts,
        viewer,
        status_code=status_code,
        partners=await PartnerService(session, core).list(),
        max_name=MAX_PARTNER_NAME,
        **extra,
    )


def partners_form(request: Request, viewer: Viewer, session: Session, core: Core) -> forms.Form:
    return forms.Form(request, viewer.texts, partial(partners_page, request, viewer, session, core))


@router.get("/partners")
async def partners(
    request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    require(may_keep(viewer), viewer.texts)
    return await partners_page(request, viewer, session, core)


@router.post("/partners")
async def add_partner(
    request: Request,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    name: Annotated[str, Form(max_length=MAX_PARTNER_NAME * 2)] = "",
    child_protection: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    require(may_keep(viewer), viewer.texts)
    return await partners_form(request, viewer, session, core).submit(
        PartnerService(session, core).create(
            viewer.actor, name=name, child_protection=child_protection == "1"
        ),
        done=f"{PREFIX}/partners",
        error_key="create_error",
        passes=(),
        form_name=name,
    )


@router.post("/partners/{partner_id}")
async def change_partner(
    request: Request,
    partner_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    name: Annotated[str, Form(max_length=MAX_PARTNER_NAME * 2)] = "",
    child_protection: Annotated[str, Form(max_length=1)] = "",
    fields: Annotated[str, Form(max_length=1)] = "",
    active: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Rename and mark as child protection (``fields=1``), or retire / offer again
    (``active`` = 0 or 1)."""
    require(may_keep(viewer), viewer.texts)
    service = PartnerService(session, core)

    async def change() -> None:
        if fields:
            await service.update(
                viewer.actor, partner_id, name=name, child_protection=child_protection == "1"
            )
        elif active in ("0", "1"):
            await service.update(viewer.actor, partner_id, active=active == "1")

    async def saved() -> Response:
        done = viewer.texts._("Saved.")
        return await partners_page(request, viewer, session, core, done=(partner_id, done))

    return await partners_form(request, viewer, session, core).submit(
        change(),
        done=saved,
        error_key="row_error",
        passes=("partner_not_found",),
        shown=lambda message: (partner_id, message),
    )
