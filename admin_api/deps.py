"""Dependencies: the Core, the request's unit of work, the signed-in staff member, and
role guards.

The unit of work is one transaction per request: it commits when the route returns
normally and rolls back when it raises, *before* the response is sent (``scope=
"function"``), so a client never hears "done" for something that was not committed.
Services flush but never commit.

An API GET only reads: it runs in :meth:`Database.read_scope` (no write lock on SQLite,
READ ONLY on PostgreSQL), and what little it writes (the audit record of a sensitive
read, a token's last use) goes in one short transaction after the reads, still before
the response is sent. The console keeps one write transaction per request (its session
row is touched as it is read).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from admin_api.errors import invalid_token, not_authenticated
from admin_api.metrics import ApiMetrics
from admin_api.routes import API_PREFIX
from storage.access import Actor
from storage.core import Core
from storage.db import Session, write_later
from storage.errors import PermissionDenied
from storage.models import ApiToken, StaffUser
from storage.services.staff import StaffService

log = logging.getLogger("holos.api")

TOKEN_URL = f"{API_PREFIX}/auth/token"

# auto_error=False: a missing token gets our JSON 401, not FastAPI's.
bearer_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


# Async, though they only read app state: FastAPI runs a plain ``def`` dependency in its
# thread pool, a hop to a worker thread and back on every request.
async def get_core(request: Request) -> Core:
    core: Core = request.app.state.core
    return core


async def get_metrics(request: Request) -> ApiMetrics:
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


CoreDep = Annotated[Core, Depends(get_core)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


READ_METHODS = frozenset({"GET", "HEAD"})


async def get_session(request: Request, core: CoreDep) -> AsyncIterator[Session]:
    if request.method in READ_METHODS and request.url.path.startswith(API_PREFIX):
        async with core.database.read_scope() as session:
            yield session
        return
    async with writers_turn(request, core), core.database.transaction() as session:
        yield session


@asynccontextmanager
async def writers_turn(request: Request, core: Core) -> AsyncIterator[None]:
    """On SQLite, this process's write transactions take turns here, first come first
    served, before they ask SQLite for its one write lock.

    SQLite lets a writer that finds the lock taken sleep and retry, in growing steps (up
    to 100 ms at a time): with 8 clients changing cases, a PATCH waited 350 ms at p99 for
    a lock that was free after a few. Here a waiter wakes the moment the one before it
    ends. Other processes (the bot) still meet SQLite's own wait. PostgreSQL locks rows,
    not the database: no turn there."""
    if core.database.dialect != "sqlite":
        yield
        return
    state = request.app.state
    lock: asyncio.Lock | None = getattr(state, "sqlite_writers", None)
    if lock is None:
        lock = state.sqlite_writers = asyncio.Lock()
    async with lock:
        yield


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@asynccontextmanager
async def unit_of_work(request: Request, core: Core) -> AsyncIterator[Session]:
    """A write transaction of the route's own choosing, where one per request will not
    do (sign-in: a short one, a wait with none open, then the check)."""
    async with writers_turn(request, core), core.database.transaction() as session:
        yield session


@dataclass(frozen=True)
class Principal:
    """The signed-in staff member, as services see them, and the token in use."""

    actor: Actor
    user: StaffUser
    token: ApiToken

    @property
    def user_id(self) -> int:
        return self.user.id


async def get_principal(
    session: SessionDep,
    core: CoreDep,
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Principal:
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

        await write_later(session, record_use)
    return Principal(Actor.staff(user.id, user.username, user.role), user, row)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


# Role guards. The services check again; checking here first means the answer to a role
# without access is always 403, before any lookup and before any body or If-Match check,
# so it never depends on (and never reveals) whether a case exists.


async def case_worker(principal: PrincipalDep) -> Principal:
    if not principal.actor.can_see_cases:
        raise PermissionDenied("Your role does not work with cases.")
    return principal


async def user_admin(principal: PrincipalDep) -> Principal:
    if not principal.actor.can_manage_users:
        raise PermissionDenied("Only administrators manage staff accounts.")
    return principal


async def audit_reader(principal: PrincipalDep) -> Principal:
    if not principal.actor.can_read_audit:
        raise PermissionDenied("Only administrators and focal points read the audit log.")
    return principal


CaseWorkerDep = Annotated[Principal, Depends(case_worker)]
UserAdminDep = Annotated[Principal, Depends(user_admin)]
AuditReaderDep = Annotated[Principal, Depends(audit_reader)]
