"""Reaching the services this machine kind runs (PostgreSQL, Redis) from tests.

Unreachable means skip with the reason, unless HOLOS_TEST_REQUIRE_SERVICES=1 (CI):
then it is a failure, so a green CI run always covered both engines.
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
REDIS_URL = os.environ.get("HOLOS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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
    name = f"holos_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, ""


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
