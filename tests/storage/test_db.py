"""Transaction scopes: readers take no write lock and never write; writers queue."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from storage.core import Core
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
