"""Staff accounts, as administrators manage them. Password hashes never leave storage."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from admin_api.schemas.auth import MAX_PASSWORD
from admin_api.schemas.common import RequestModel, Storable, ViewModel
from storage.enums import Role
from storage.services.staff import MIN_PASSWORD

Username = Annotated[str, StringConstraints(min_length=3, max_length=64), Storable]
Password = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD), Storable
]
DisplayName = Annotated[str, StringConstraints(max_length=128), Storable]


class UserOut(ViewModel):
    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    failed_logins: int
    # When two-factor sign-in was set up; null while the account has none.
    two_factor_since: datetime | None = Field(default=None, validation_alias="totp_enrolled_at")


class UserList(BaseModel):
    items: list[UserOut]


class UserCreate(RequestModel):
    username: Username
    password: Password
    role: Role
    display_name: DisplayName = ""


class UserPatch(RequestModel):
    """Fields left out stay as they are. A new role, a disabled account or a new
    password ends every token the account holds."""

    role: Role | None = None
    is_active: bool | None = None
    display_name: DisplayName | None = None
    password: Password | None = None
