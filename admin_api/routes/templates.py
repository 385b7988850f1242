"""Reply templates: ready answers staff insert into a reply (kept by administrators and
focal points, read by whoever works with cases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from admin_api.deps import TemplateKeeperDep, TemplateReaderDep
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.templates import TemplateIn, TemplateList, TemplateOut, TemplatePatch
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.refs import PUBLIC_ID_PATTERN
from storage.services.reply_templates import ReplyTemplateService

router = APIRouter(prefix=f"{API_PREFIX}/reply-templates", tags=["reply templates"])

TemplateId = Annotated[str, Path(pattern=PUBLIC_ID_PATTERN, description="The template's id.")]


@router.get(
    "", response_model=TemplateList, summary="Reply templates", responses=error_responses(401, 403)
)
async def list_templates(
    principal: TemplateReaderDep, session: ReadSessionDep, core: CoreDep
) -> TemplateList:
    """Every template, by name and language."""
    items = await ReplyTemplateService(session, core).all(principal.actor)
    return TemplateList(items=[TemplateOut.model_validate(t) for t in items])


@router.post(
    "",
    status_code=201,
    response_model=TemplateOut,
    summary="Add a reply template",
    responses=error_responses(401, 403, 409, 413, 422),
)
async def create_template(
    body: TemplateIn, principal: TemplateKeeperDep, session: WriteSessionDep, core: CoreDep
) -> TemplateOut:
    """409 when the name exists in that language already."""
    template = await ReplyTemplateService(session, core).create(
        principal.actor, name=body.name, language=body.language, body=body.text
    )
    return TemplateOut.model_validate(template)


@router.patch(
    "/{template_id}",
    response_model=TemplateOut,
    summary="Change a reply template",
    responses=error_responses(401, 403, 404, 409, 413, 422),
)
async def update_template(
    template_id: TemplateId,
    body: TemplatePatch,
    principal: TemplateKeeperDep,
    session: WriteSessionDep,
    core: CoreDep,
) -> TemplateOut:
    template = await ReplyTemplateService(session, core).update(
        principal.actor, template_id, name=body.name, body=body.text
    )
    return TemplateOut.model_validate(template)


@router.delete(
    "/{template_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a reply template",
    responses=error_responses(401, 403, 404, 422),
)
async def delete_template(
    template_id: TemplateId, principal: TemplateKeeperDep, session: WriteSessionDep, core: CoreDep
) -> Response:
    await ReplyTemplateService(session, core).delete(principal.actor, template_id)
    return Response(status_code=204)
