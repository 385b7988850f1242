"""The request's database scope, chosen by what the route does (the rules and their
measured reasons: :mod:`storage.transactions`).

- :data:`ReadSessionDep`: a route that reads. A read-only transaction (no write lock on
  SQLite, ``READ ONLY`` on PostgreSQL); what it must record (the audit event of a
  sensitive read, a token's or a console session's last use) goes in one short write
  after its reads (:meth:`storage.db.Database.read_scope`, :func:`storage.db.write_later`).
- :data:`WriteSessionDep`: a route that changes something. One write transaction that
  commits when the route returns normally and rolls back when it raises, *before* the
  response is sent (``scope="function"``), so a client never hears "done" for something
  that was not committed. On SQLite the process's writers take turns first
  (:func:`writers_turn`).
- :func:`unit_of_work`: a write transaction of the route's own choosing, where one per
  request will not do (sign-in: a short one, a wait with none open, then the check).

Every ``GET`` route of the API and the console depends on the read scope alone
(``tests/test_architecture.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request

from admin_api.metrics import ApiMetrics
from storage.core import Core
from storage.db import Session


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


async def read_session(core: CoreDep) -> AsyncIterator[Session]:
    async with core.database.read_scope() as session:
        yield session


async def write_session(request: Request, core: CoreDep) -> AsyncIterator[Session]:
    async with unit_of_work(request, core) as session:
        yield session


# scope="function": the scope ends (commits, or writes what the read deferred) when the
# route returns, before the first byte of the answer, a streamed one included.
ReadSessionDep = Annotated[Session, Depends(read_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(write_session, scope="function")]


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


@asynccontextmanager
async def unit_of_work(request: Request, core: Core) -> AsyncIterator[Session]:
    """A write transaction of the route's own choosing, where one per request will not
    do (sign-in: a short one, a wait with none open, then the check)."""
    async with writers_turn(request, core), core.database.transaction() as session:
        yield session
