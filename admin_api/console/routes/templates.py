"""Reply templates (administrators and focal points): ready answers in uk, ru and en
that operators insert into a reply on the case page and edit before sending."""

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
from storage.enums import Language
from storage.errors import InvalidInput
from storage.refs import PUBLIC_ID_PATTERN
from storage.services.reply_templates import (
    MAX_NAME_CHARS,
    MAX_TEMPLATE_CHARS,
    PLACEHOLDERS,
    ReplyTemplateService,
)

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

TemplateId = Annotated[str, Path(pattern=PUBLIC_ID_PATTERN)]


async def templates_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    core: Core,
    *,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    require(viewer.actor.can_manage_templates, viewer.texts)
    items = await ReplyTemplateService(session, core).all(viewer.actor)
    return render(
        request,
        "reply_templates.html",
        viewer.texts,
        viewer,
        status_code=status_code,
        items=items,
        languages=[x.value for x in Language],
        placeholders=PLACEHOLDERS,
        max_name=MAX_NAME_CHARS,
        max_text=MAX_TEMPLATE_CHARS,
        **extra,
    )


def templates_form(request: Request, viewer: Viewer, session: Session, core: Core) -> forms.Form:
    return forms.Form(
        request, viewer.texts, partial(templates_page, request, viewer, session, core)
    )


@router.get("/templates")
async def templates(
    request: Request, viewer: ReadViewerDep, session: ReadSessionDep, core: CoreDep
) -> HTMLResponse:
    return await templates_page(
        request, viewer, session, core, saved=request.query_params.get("saved") == "1"
    )


@router.post("/templates")
async def create(
    request: Request,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    name: Annotated[str, Form(max_length=MAX_NAME_CHARS * 2)] = "",
    language: Annotated[str, Form(max_length=2)] = "",
    text: Annotated[str, Form(max_length=MAX_TEMPLATE_CHARS * 2)] = "",
) -> Response:
    require(viewer.actor.can_manage_templates, viewer.texts)

    async def add() -> None:
        if language not in Language._value2member_map_:
            raise InvalidInput("Choose the template's language.")
        await ReplyTemplateService(session, core).create(
            viewer.actor, name=name, language=language, body=text
        )

    return await templates_form(request, viewer, session, core).submit(
        add(),
        done=f"{PREFIX}/templates?saved=1",
        error_key="create_error",
        passes=(),
        form={"name": name, "language": language, "text": text},
    )


@router.post("/templates/{template_id}")
async def change(
    request: Request,
    template_id: TemplateId,
    viewer: WriteViewerDep,
    session: WriteSessionDep,
    core: CoreDep,
    name: Annotated[str, Form(max_length=MAX_NAME_CHARS * 2)] = "",
    text: Annotated[str, Form(max_length=MAX_TEMPLATE_CHARS * 2)] = "",
    delete: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Save the name and text, or delete (``delete=1``)."""
    require(viewer.actor.can_manage_templates, viewer.texts)
    service = ReplyTemplateService(session, core)
    change = (
        service.delete(viewer.actor, template_id)
        if delete
        else service.update(viewer.actor, template_id, name=name, body=text)
    )
    return await templates_form(request, viewer, session, core).submit(
        change,
        done=f"{PREFIX}/templates?saved=1",
        error_key="row_error",
        passes=(),
        shown=lambda message: (template_id, message),
    )
