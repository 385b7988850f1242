"""Staff accounts, as administrators manage them. Password hashes never leave storage."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from admin_api.schemas.auth import MAX_PASSWORD
from admin_api.schemas.common import RequestModel, Storable
from storage.enums import Role
from storage.models import StaffUser
from storage.services.staff import MIN_PASSWORD

Username = Annotated[str, StringConstraints(min_length=3, max_length=64), Storable]
Password = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD), Storable
]
DisplayName = Annotated[str, StringConstraints(max_length=128), Storable]


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    failed_logins: int

    @classmethod
    def of(cls, user: StaffUser) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(user.role),
            is_active=user.is_active,
            created_at=user.created_at,
            updated_at=user.updated_at,
            last_login_at=user.last_login_at,
            failed_logins=user.failed_logins,
        )


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
