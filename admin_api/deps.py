"""Dependencies of the JSON API: the signed-in staff member and role guards, each in a
read and a write flavour that share the route's database scope
(:mod:`admin_api.web.sessions`): a route that only reads authenticates in its read
scope, a route that writes in its write transaction (one transaction a request either
way). Services flush but never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from admin_api.errors import invalid_token, not_authenticated
from admin_api.routes import API_PREFIX
from admin_api.web.sessions import CoreDep, ReadSessionDep, WriteSessionDep
from storage.access import Actor
from storage.core import Core
from storage.db import Session, write_later
from storage.enums import Role
from storage.errors import PermissionDenied
from storage.models import ApiToken, StaffUser
from storage.services.staff import StaffService

log = logging.getLogger("holos.api")

TOKEN_URL = f"{API_PREFIX}/auth/token"

# auto_error=False: a missing token gets our JSON 401, not FastAPI's.
bearer_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
BearerDep = Annotated[str | None, Depends(bearer_scheme)]


@dataclass(frozen=True)
class Principal:
    """The signed-in staff member, as services see them, and the token in use."""

    actor: Actor
    user: StaffUser
    token: ApiToken

    @property
    def user_id(self) -> int:
        return self.user.id


async def authenticate(session: Session, core: Core, token: str | None) -> Principal:
    if not token:
        raise not_authenticated()
    resolved = await StaffService(session, core).resolve_token(token)
    if resolved is None:
        raise invalid_token()
    user, row = resolved
    used_at = StaffService.token_use_to_record(row, core.clock.now())
    if used_at is not None:
        token_id = row.id

        async def record_use(writer: Session) -> None:
            await StaffService(writer, core).record_token_use(token_id, used_at)

        # In a read scope: after the reads, in one short write.
        await write_later(session, record_use)
    return Principal(Actor.staff(user.id, user.username, user.role), user, row)


async def read_principal(session: ReadSessionDep, core: CoreDep, token: BearerDep) -> Principal:
    return await authenticate(session, core, token)


async def write_principal(session: WriteSessionDep, core: CoreDep, token: BearerDep) -> Principal:
    return await authenticate(session, core, token)


ReadPrincipalDep = Annotated[Principal, Depends(read_principal)]
WritePrincipalDep = Annotated[Principal, Depends(write_principal)]


# Role guards. The services check again; checking here first means the answer to a role
# without access is always 403, before any lookup and before any body or If-Match check,
# so it never depends on (and never reveals) whether a case exists.

Guard = Callable[[Principal], Awaitable[Principal]]


def role_guards(allowed: Callable[[Actor], bool], refusal: str) -> tuple[Guard, Guard]:
    """The guard of one role rule, for routes that read and for routes that write."""

    def checked(principal: Principal) -> Principal:
        if not allowed(principal.actor):
            raise PermissionDenied(refusal)
        return principal

    async def reading(principal: ReadPrincipalDep) -> Principal:
        return checked(principal)

    async def writing(principal: WritePrincipalDep) -> Principal:
        return checked(principal)

    return reading, writing


_cases_read, _cases_write = role_guards(
    lambda actor: actor.can_see_cases, "Your role does not work with cases."
)
_users_read, _users_write = role_guards(
    lambda actor: actor.can_manage_users, "Only administrators manage staff accounts."
)
_audit_read, _ = role_guards(
    lambda actor: actor.can_read_audit,
    "Only administrators and focal points read the audit log.",
)

_, _partners_write = role_guards(
    lambda actor: actor.role is Role.ADMIN, "Only administrators keep the list of partners."
)
_templates_read, _templates_write = role_guards(
    lambda actor: actor.can_see_cases or actor.can_manage_templates,
    "Your role does not use reply templates.",
)
_templates_keep_read, _templates_keep = role_guards(
    lambda actor: actor.can_manage_templates,
    "Only administrators and focal points keep reply templates.",
)

ReadCaseWorkerDep = Annotated[Principal, Depends(_cases_read)]
WriteCaseWorkerDep = Annotated[Principal, Depends(_cases_write)]
ReadUserAdminDep = Annotated[Principal, Depends(_users_read)]
WriteUserAdminDep = Annotated[Principal, Depends(_users_write)]
AuditReaderDep = Annotated[Principal, Depends(_audit_read)]
WritePartnerAdminDep = Annotated[Principal, Depends(_partners_write)]
TemplateReaderDep = Annotated[Principal, Depends(_templates_read)]
TemplateKeeperDep = Annotated[Principal, Depends(_templates_keep)]
