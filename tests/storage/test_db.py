"""Transaction scopes: readers take no write lock and never write; writers queue."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from storage import db
from storage.core import Core
from storage.db import Database
from storage.models import Case
from storage.services.intake import IntakeService
from tests.storage.helpers import report, submit


async def count_cases(core: Core) -> int:
    async with core.database.read_only() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def test_a_read_only_scope_does_not_hold_up_a_writer(core: Core) -> None:
    await submit(core)
    async with core.database.read_only() as session:
        before = await session.scalar(select(func.count()).select_from(Case))
        # With BEGIN IMMEDIATE here the writer would wait for this scope to end, which
        # is after the writer: a deadlock the guard below turns into a failure.
        await asyncio.wait_for(submit(core), timeout=10)
        assert before == 1
    assert await count_cases(core) == 2


async def test_a_reader_is_not_held_up_by_an_open_writer(core: Core) -> None:
    await submit(core)
    async with core.database.transaction() as session:
        await IntakeService(session, core).submit(report())
        # The writer holds its lock until this block ends; the reader sees the last commit.
        assert await asyncio.wait_for(count_cases(core), timeout=10) == 1
    assert await count_cases(core) == 2


async def test_a_read_only_scope_never_writes(core: Core) -> None:
    submitted = await submit(core)
    if core.database.dialect == "postgresql":
        with pytest.raises(DBAPIError, match="read-only"):
            async with core.database.read_only() as session:
                case = await session.scalar(select(Case).where(Case.ref == submitted.ref))
                assert case is not None
                case.oblast = "UA-80"
                await session.flush()
    else:
        async with core.database.read_only() as session:
            case = await session.scalar(select(Case).where(Case.ref == submitted.ref))
            assert case is not None
            case.oblast = "UA-80"
            await session.flush()
    async with core.database.read_only() as session:
        assert await session.scalar(select(Case.oblast).where(Case.ref == submitted.ref)) == "UA-63"


async def test_a_read_only_scope_that_raises_leaves_the_pool_usable(core: Core) -> None:
    await submit(core)
    with pytest.raises(LookupError):
        async with core.database.read_only():
            raise LookupError
    await submit(core)
    assert await count_cases(core) == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # a server to lose
async def test_a_pooled_connection_is_pinged_only_after_idling(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ping is three round trips on asyncpg: a connection in use moments ago is taken
    as alive; one idle longer than PING_AFTER_IDLE_SECONDS is pinged first, and replaced
    when the server has dropped it meanwhile (a restart)."""
    assert core.database.dialect == "postgresql"
    dialect = core.database.engine.sync_engine.dialect
    pings: list[bool] = []
    original = dialect.do_ping

    def counting(connection: Any) -> bool:
        pings.append(True)
        return bool(original(connection))

    monkeypatch.setattr(dialect, "do_ping", counting)
    await submit(core)
    for _ in range(3):
        assert await count_cases(core) == 1
    assert pings == []

    # Every other connection to this database ends, as when the server restarts.
    killer = Database(core.settings.database_url)
    try:
        async with killer.engine.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await killer.dispose()
    later = time.monotonic() + db.PING_AFTER_IDLE_SECONDS + 1
    monkeypatch.setattr(db, "_clock", lambda: later)
    assert await count_cases(core) == 1
    assert pings


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's own log
async def test_emptying_the_log_waits_for_no_reader_and_is_tried_again(core: Core) -> None:
    """Old page versions stay in SQLite's write-ahead log until it is emptied (issue 18).
    A reader on an older snapshot holds that up: the attempt gives up quickly and is left
    for the next, which empties the log to nothing."""
    import sqlite3

    await submit(core)
    assert core.database.log_written()
    path = core.settings.database_url.split("///", 1)[1]
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM cases").fetchall()  # a snapshot of now
        await submit(core)  # written after it: the reader still needs the older pages
        started = time.monotonic()
        assert await core.database.truncate_log() is False
        assert time.monotonic() - started < 5  # it waited a moment, not the busy timeout
        assert core.database.log_pending
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert await core.database.truncate_log() is True
    assert not core.database.log_pending and not core.database.log_written()
    assert Path(f"{path}-wal").stat().st_size == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_emptying_the_log_is_nothing_to_do_on_postgresql(core: Core) -> None:
    """No draft or per-person row ever enters PostgreSQL (its WAL is not ours to empty)."""
    await submit(core)
    assert await core.database.truncate_log() is True
    assert not core.database.log_written() and not core.database.log_pending
