"""Partners: the organisations and services cases are referred to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from admin_api.schemas.common import RequestModel, Storable, ViewModel
from storage.services.outcomes import MAX_PARTNER_NAME

PartnerName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PARTNER_NAME), Storable]


class PartnerOut(ViewModel):
    id: int
    name: str
    child_protection: bool = Field(description="A child-protection service.")
    active: bool = Field(description="Offered for new referrals (a retired one is kept).")
    created_at: datetime
    updated_at: datetime


class PartnerList(BaseModel):
    items: list[PartnerOut]


class PartnerCreate(RequestModel):
    name: PartnerName
    child_protection: bool = False


class PartnerPatch(RequestModel):
    name: PartnerName | None = None
    child_protection: bool | None = None
    active: bool | None = None
