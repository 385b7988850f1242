"""Sign-in (OAuth2 password form), the token answer, and "who am I"."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints

from admin_api.schemas.common import RequestModel, Storable
from storage.enums import Role

# Generous for a passphrase, small enough that hashing it never becomes a cost.
MAX_PASSWORD = 1024


class TokenForm(RequestModel):
    """The OAuth2 password grant (RFC 6749 §4.3), form-encoded."""

    grant_type: Literal["password"] | None = None
    username: Annotated[str, StringConstraints(min_length=1, max_length=64), Storable]
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD), Storable]
    scope: Annotated[str, StringConstraints(max_length=200), Storable] = ""
    client_id: Annotated[str, StringConstraints(max_length=200), Storable] | None = None
    client_secret: Annotated[str, StringConstraints(max_length=200), Storable] | None = None
    # The current code of the authenticator app, for accounts with two-factor sign-in.
    otp: Annotated[str, StringConstraints(max_length=16), Storable] | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type)
    expires_in: int


class Permissions(BaseModel):
    cases: bool
    sensitive_cases: bool
    users: bool
    audit: bool


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    permissions: Permissions
    token_expires_at: datetime
