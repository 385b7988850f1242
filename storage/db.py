"""Engine, sessions and the unit of work.

Services flush but never commit: the caller's scope (an API request, a bot update,
a CLI command) owns the transaction through :meth:`Database.transaction`. Scopes that
only read use :meth:`Database.read_only`, which on SQLite takes no write lock, so a
reader never queues behind (or blocks) a writer. Which scope to use when, and why:
:mod:`storage.transactions`.
"""

from __future__ import annotations

import collections
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event, text
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.day_counts import DEFAULT_ZONE, ZONE_INFO

# The unit-of-work type callers hold (the API's request scope) without touching SQL.
Session = AsyncSession

# Execution option marking a read-only scope's connection (see _on_begin).
_READ_ONLY = "holos_read_only"
# Execution option of a connection that runs one statement on its own, outside any
# transaction (see Database.single_statement and _on_begin).
_NO_TRANSACTION = "holos_no_transaction"
# Session.info key: the writers a read scope runs after it (see Database.read_scope).
_DEFERRED = "holos_deferred_writes"
# How long emptying the log waits for a reader's snapshot or a writer to finish before it
# gives up for now (Database.truncate_log; the bot's timer tries again).
TRUNCATE_WAIT_MS = 200
BUSY_TIMEOUT_MS = 30000

Writer = Callable[[AsyncSession], Awaitable[None]]


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # SQL parameters are narratives and contacts: never put them in an error's text.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_async_engine(url, **kwargs)
        _ping_when_idle(engine)
        return engine

    database = parsed.database if parsed.database and parsed.database != ":memory:" else None
    if database:
        # Owner only: the database holds the cases; nobody else on the host may read it.
        Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {"timeout": 30})
    if parsed.get_driver_name() == "aiosqlite":
        kwargs.setdefault("module", _OneHopAiosqlite(aiosqlite, sqlite3))
    engine = create_async_engine(url, **kwargs)
    _configure_sqlite(engine, Path(database) if database else None)
    return engine


# A pooled connection idle longer than this is pinged before it is handed out: the server
# may have restarted, or a proxy dropped it, meanwhile. SQLAlchemy's pool_pre_ping would
# ping on every checkout, and on asyncpg a ping is three round trips (BEGIN, an empty
# statement, ROLLBACK): on a request of a few statements, more than the request itself.
# A connection that was in use moments ago is taken as alive; if the server went away
# in between, that one statement fails and SQLAlchemy drops the pool's older connections.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "holos_idle_since"
_clock = time.monotonic  # tests move it


def _ping_when_idle(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = _clock()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        # None: connected just now for this checkout (or never handed back): alive.
        if since is None or _clock() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and hands out a fresh one instead.
            raise DisconnectionError("the pooled connection did not answer") from error


def _run_statement(
    connection: Any, operation: Any, parameters: Any, many: bool
) -> tuple[Any, list[Any] | None, int, int | None]:
    """On aiosqlite's thread: a whole statement, its rows and its counts at once."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor that crosses to aiosqlite's thread once per statement.

    SQLAlchemy's own adapter makes four round trips to that thread for one SELECT
    (open a cursor, execute, fetch, close) and three for a write; each is a queue hand-off
    and a wake-up of the event loop, which cost far more CPU than the small statements
    the bot runs (docs/performance.md). Here the statement runs, its rows are fetched
    and its cursor is closed in one call on the thread; what SQLAlchemy asks afterwards
    (description, rowcount, lastrowid, the rows) is answered from what came back.
    Server-side cursors are not used by Holos and keep SQLAlchemy's class."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        # No driver cursor is kept (each statement opens and closes its own on the
        # thread), and SQLAlchemy's stub types these two as always present.
        self._cursor = None  # type: ignore[assignment]  # see above
        self._soft_closed_memoized = {}  # type: ignore[assignment]  # the stub's type is narrower
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1  # the DB-API default, for fetchmany() without a size

    @property
    def description(self) -> Any:
        return self._description

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    async def _async_soft_close(self) -> None:
        return None  # the driver's cursor is closed already; the rows stay buffered

    def close(self) -> None:
        self._rows.clear()

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            # aiosqlite's own queue: the call runs on the connection's thread, in order.
            description, rows, rowcount, lastrowid = await connection._execute(
                lambda: _run_statement(connection._conn, operation, parameters, many)
            )
        self._description = description
        self._rows = collections.deque(rows or ())
        self._rowcount = rowcount
        self._lastrowid = lastrowid

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(operation, seq_of_parameters, True)

    def nextset(self) -> None:
        return None


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneHopCursor  # type: ignore[assignment]  # a subclass: mypy reads the stub narrowly


class _OneHopAiosqlite(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite adapter with :class:`_OneHopCursor` for every statement."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return _OneHopConnection(self, adapted._connection)


def _owner_only(database: Path) -> None:
    for path in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)


def _configure_sqlite(engine: AsyncEngine, database: Path | None) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Deleted rows are overwritten with zeros, so purged text does not linger in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        if database is not None:
            _owner_only(database)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_NO_TRANSACTION):
            # The driver is in autocommit mode (_on_connect): the one statement is its
            # own transaction and sees one consistent snapshot.
            return
        if connection.get_execution_options().get(_READ_ONLY):
            # A reader in WAL mode sees a consistent snapshot without any lock that
            # a writer waits for; it never writes, so it cannot hit the upgrade race.
            connection.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that reads and then writes fails at once with "database
        # is locked" when another writer committed in between; taking the write lock up
        # front makes concurrent writers queue instead (busy_timeout), and the loser of an
        # optimistic-concurrency race sees the new version and gets a clean StaleVersion.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    def __init__(self, url: str, *, zone: str = DEFAULT_ZONE, **engine_kwargs: Any) -> None:
        self.url = url
        # The days the daily figures are counted in (storage.day_counts reads it from
        # the session that writes a case or a rating).
        self.zone = zone
        info = {ZONE_INFO: zone}
        self.engine = create_engine(url, **engine_kwargs)
        parsed = make_url(url)
        self._log: Path | None = (
            Path(f"{parsed.database}-wal")
            if parsed.get_backend_name() == "sqlite"
            and parsed.database
            and parsed.database != ":memory:"
            else None
        )
        # A log emptying that a reader held up, to try again (see truncate_log).
        self.log_pending = False
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, info=info)
        # Same pool, connections marked read-only: a plain (deferred) BEGIN on SQLite,
        # a READ ONLY transaction on PostgreSQL.
        reader_options: dict[str, Any] = {_READ_ONLY: True}
        if self.dialect == "postgresql":
            reader_options["postgresql_readonly"] = True
        self.read_sessionmaker = async_sessionmaker(
            self.engine.execution_options(**reader_options), expire_on_commit=False, info=info
        )
        # One statement, no BEGIN and no ROLLBACK around it: AUTOCOMMIT on PostgreSQL;
        # on SQLite the driver is in autocommit already and _on_begin emits nothing.
        self._single = self.engine.execution_options(
            **(
                {"isolation_level": "AUTOCOMMIT"}
                if self.dialect == "postgresql"
                else {_NO_TRANSACTION: True}
            )
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit when the block succeeds, roll back when it raises."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[AsyncSession]:
        """A scope that only reads: no write lock on SQLite (a writer is never held up by
        it), read-only on PostgreSQL, and always rolled back, so it never writes."""
        async with self.read_sessionmaker() as session:
            try:
                await session.begin()
                yield session
            finally:
                await session.rollback()

    @asynccontextmanager
    async def single_statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one read statement that needs no transaction around it (a
        statement reads one consistent snapshot by itself): unlike :meth:`read_only`, no
        BEGIN or ROLLBACK statement. Never for writes, nor for several reads that must agree."""
        async with self._single.connect() as connection:
            yield connection

    @asynccontextmanager
    async def read_scope(self) -> AsyncIterator[AsyncSession]:
        """A read-only scope (an API GET) whose few writes wait for the end: rows it adds
        (the audit record of a sensitive read) and writers passed to :func:`write_later`
        (a token's last use) go in one short transaction after the reads, so a GET never
        holds SQLite's write lock while it reads and renders.

        Nothing is flushed inside the scope (autoflush is off); a scope that changes a
        row it loaded is a programming error, refused rather than silently dropped.
        """
        writers: list[Writer] = []
        async with self.read_only() as session:
            session.autoflush = False
            session.info[_DEFERRED] = writers
            yield session
            if any(session.is_modified(obj) for obj in session.dirty) or session.deleted:
                raise RuntimeError("a read scope changed a stored row; use write_later")
            added = list(session.new)
            session.expunge_all()
        if added or writers:
            async with self.transaction() as writer_session:
                writer_session.add_all(added)
                for writer in writers:
                    await writer(writer_session)

    async def truncate_log(self) -> bool:
        """SQLite: copy the write-ahead log into the database file and cut the log to
        nothing. Until then the log keeps every version of every page written since the
        last time (a draft at each of its steps; secure_delete only zeroes free space in
        the main file), so this runs when a flow ends, once its writes are in (storage.uow),
        and on a short timer (bot.scheduler).

        It waits at most TRUNCATE_WAIT_MS for readers on an older snapshot and for a
        writer; held up longer, it gives up and returns False, and ``log_pending`` tells
        the timer to try again. PostgreSQL: nothing to do (no draft ever enters it)."""
        if self.dialect != "sqlite":
            return True
        done = False
        async with self.engine.connect() as conn:
            # The driver's own connection, as for VACUUM: no transaction around it.
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.execute(f"PRAGMA busy_timeout={TRUNCATE_WAIT_MS}")
            try:
                cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                row = await cursor.fetchone()
                done = row is not None and row[0] == 0
            except sqlite3.OperationalError:
                done = False
            finally:
                await driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self.log_pending = not done
        return done

    def log_written(self) -> bool:
        """Whether the SQLite log holds anything (always False on PostgreSQL)."""
        if self._log is None:
            return False
        try:
            return self._log.stat().st_size > 0
        except FileNotFoundError:
            return False

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


async def write_later(session: AsyncSession, writer: Writer) -> None:
    """Run ``writer`` in the session's transaction, or, in a :meth:`Database.read_scope`,
    in the short write that follows it."""
    deferred: list[Writer] | None = session.info.get(_DEFERRED)
    if deferred is None:
        await writer(session)
    else:
        deferred.append(writer)
