"""Reaching the services this machine kind runs (PostgreSQL, Redis) from tests.

Unreachable means skip with the reason, unless HOLOS_TEST_REQUIRE_SERVICES=1 (CI):
then it is a failure, so a green CI run always covered both engines.

Under pytest-xdist every worker is a session of its own: its own throwaway PostgreSQL
database (named after the worker) and its own Redis database number, so two workers never
see each other's rows or keys (the bot's Redis keys have fixed prefixes).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

T = TypeVar("T")

REQUIRE_SERVICES = os.environ.get("HOLOS_TEST_REQUIRE_SERVICES") == "1"
POSTGRES_ADMIN_DSN = os.environ.get(
    "HOLOS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
# "gw0", "gw1", … under pytest-xdist; "" in a plain run.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_redis_url(url: str, worker: str = WORKER) -> str:
    """``url`` with the database number moved on by the worker's number (gw0 takes the
    next one, gw1 the one after, …), so every worker has a keyspace of its own."""
    if not worker.startswith("gw"):
        return url
    base, _, number = url.rpartition("/")
    if not number.isdigit():
        base, number = url.rstrip("/"), "0"
    return f"{base}/{(int(number) + 1 + int(worker[2:])) % 16}"


REDIS_URL = worker_redis_url(os.environ.get("HOLOS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))


def unavailable(service: str, reason: str) -> NoReturn:
    if REQUIRE_SERVICES:
        pytest.fail(
            f"{service} is required (HOLOS_TEST_REQUIRE_SERVICES=1) but unreachable: {reason}",
            pytrace=False,
        )
    pytest.skip(f"{service} unreachable: {reason}")


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own loop in another thread (for session-wide set-up)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _dsn_for(database: str) -> str:
    base, _, _ = POSTGRES_ADMIN_DSN.rpartition("/")
    return f"{base}/{database}"


async def create_postgres_database() -> tuple[str | None, str]:
    """Create a throwaway database; return (name, error)."""
    import asyncpg

    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    name = f"holos_test_{WORKER or 'main'}_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        # A throwaway database need not survive a crash of the server: a commit returns
        # without waiting for its WAL to reach the disk (2.6 ms -> 0.2 ms each on a quiet
        # machine, far more when the disk is shared). What a commit makes visible, and
        # when, is unchanged.
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()
    return name, ""


async def empty_postgres_database(url: str) -> None:
    """Every table of the schema emptied and its sequences restarted, as a freshly
    migrated database has them (the Alembic version stays).

    DELETE, not TRUNCATE: TRUNCATE makes new files for every table and index, about
    300 ms for this schema, where deleting the few rows a test left takes 2-3 ms. Triggers
    and foreign-key checks are off meanwhile (this transaction only): every table is
    emptied, in any order.
    """
    import asyncpg

    from storage.models import Base

    deletes = "".join(f'DELETE FROM "{t.name}";' for t in reversed(Base.metadata.sorted_tables))
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        # One round trip (a simple query of many statements runs as one transaction):
        # 20 ms -> 12.5 ms a test.
        await conn.execute(
            "SET LOCAL session_replication_role = replica;"
            + deletes
            + "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass,"
            " start_value, false) FROM pg_sequences"
            " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )
    finally:
        await conn.close()


async def drop_postgres_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def sqlalchemy_url(database: str) -> str:
    return _dsn_for(database).replace("postgresql://", "postgresql+asyncpg://", 1)


async def reachable_redis() -> Redis:
    """A client of the shared test Redis (skipped with the reason when unreachable,
    unless required)."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as exc:
        await client.aclose()
        unavailable("Redis", str(exc))
    return client
