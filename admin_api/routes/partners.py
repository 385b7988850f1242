"""Partners: the organisations and services cases are referred to (issue 22).

Everyone signed in reads the list (staff choose from it, analysts read the figures by
it); administrators keep it. Not the reporter-facing helplines of
``HOLOS_REFERRAL_CONTACTS``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from admin_api.deps import ReadPrincipalDep, WritePartnerAdminDep
from admin_api.errors import error_responses
from admin_api.routes import API_PREFIX
from admin_api.schemas.common import MAX_ID
from admin_api.schemas.partners import PartnerCreate, PartnerList, PartnerOut, PartnerPatch
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.services.outcomes import PartnerService

router = APIRouter(prefix=f"{API_PREFIX}/partners", tags=["partners"])

PartnerId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=PartnerList, summary="Partners", responses=error_responses(401))
async def list_partners(
    principal: ReadPrincipalDep, session: ReadSessionDep, core: CoreDep
) -> PartnerList:
    """Every partner, retired ones included (`active: false`), by name."""
    partners = await PartnerService(session, core).list()
    return PartnerList(items=[PartnerOut.model_validate(p) for p in partners])


@router.post(
    "",
    status_code=201,
    response_model=PartnerOut,
    summary="Add a partner",
    responses=error_responses(401, 403, 409, 413, 422),
)
async def create_partner(
    body: PartnerCreate, principal: WritePartnerAdminDep, session: WriteSessionDep, core: CoreDep
) -> PartnerOut:
    partner = await PartnerService(session, core).create(
        principal.actor, name=body.name, child_protection=body.child_protection
    )
    return PartnerOut.model_validate(partner)


@router.patch(
    "/{partner_id}",
    response_model=PartnerOut,
    summary="Rename, retire or change a partner",
    responses=error_responses(401, 403, 404, 409, 413, 422),
)
async def update_partner(
    partner_id: PartnerId,
    body: PartnerPatch,
    principal: WritePartnerAdminDep,
    session: WriteSessionDep,
    core: CoreDep,
) -> PartnerOut:
    """A retired partner (`active: false`) is kept for the figures but no longer offered."""
    partner = await PartnerService(session, core).update(
        principal.actor,
        partner_id,
        name=body.name,
        child_protection=body.child_protection,
        active=body.active,
    )
    return PartnerOut.model_validate(partner)
