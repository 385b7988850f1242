"""The daily purge inside the long-running process (issue 11), on both engines: it runs
on its schedule, forgets update ids older than a day, and two instances never purge at
once (PostgreSQL advisory lock; SQLite has one writer anyway)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from bot.scheduler import RetentionSchedule
from storage.clock import FrozenClock
from storage.core import Core
from storage.models import ConversationState, ProcessedUpdate
from storage.repositories.updates import ProcessedUpdates
from storage.services.retention import ScheduledPurge, scheduled_purge


async def seed(core: Core, clock: FrozenClock) -> None:
    """An expired draft and a live one; update ids handled two days and an hour ago."""
    now = clock.now()
    async with core.database.transaction() as session:
        for key, expires in (
            ("expired", now - timedelta(hours=1)),
            ("live", now + timedelta(hours=5)),
        ):
            session.add(
                ConversationState(
                    key=key, state=None, data_enc=None, updated_at=now, expires_at=expires
                )
            )
        await ProcessedUpdates(session).record(1, now - timedelta(days=2))
        await ProcessedUpdates(session).record(2, now - timedelta(hours=1))


async def remaining(core: Core) -> tuple[list[str], list[int]]:
    async with core.database.transaction() as session:
        drafts = list((await session.scalars(select(ConversationState.key))).all())
        updates = list((await session.scalars(select(ProcessedUpdate.update_id))).all())
    return sorted(drafts), sorted(updates)


def runs(outcome: str) -> float:
    return REGISTRY.get_sample_value("holos_retention_runs_total", {"outcome": outcome}) or 0.0


class Observed(RetentionSchedule):
    """The schedule, telling the test when a turn has run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ran = asyncio.Event()

    async def run_once(self) -> ScheduledPurge | None:
        try:
            return await super().run_once()
        finally:
            self.ran.set()


async def test_the_schedule_purges_and_forgets_old_update_ids(
    core: Core, clock: FrozenClock
) -> None:
    await seed(core, clock)
    schedule = Observed(core, every=3600, first_after=0)
    done_before = runs("done")
    task = asyncio.create_task(schedule.run())
    try:
        async with asyncio.timeout(10):
            await schedule.ran.wait()
    finally:
        schedule.stop()
        await task  # a stop ends the wait for the next turn at once
    assert await remaining(core) == (["live"], [2])
    assert runs("done") - done_before == 1


# PostgreSQL only: SQLite has one writer, so a second purge waits for the first and then
# finds nothing to do; there is no turn to skip.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_instance_finding_another_purging_skips_its_turn(
    core: Core, clock: FrozenClock, database_url: str
) -> None:
    await seed(core, clock)
    skipped_before = runs("skipped")
    # One instance is purging: its transaction holds the lock.
    async with core.database.transaction() as first:
        assert await scheduled_purge(first, core) is not None
        # Another instance's turn comes meanwhile: it skips, deleting nothing (without
        # the lock it would wait on the first one's rows: the timeout says so).
        async with asyncio.timeout(10):
            assert await RetentionSchedule(core).run_once() is None
        assert runs("skipped") - skipped_before == 1
    # The first committed; the next turn finds the lock free again.
    assert await remaining(core) == (["live"], [2])
    assert await RetentionSchedule(core).run_once() is not None
