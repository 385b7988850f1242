"""Housekeeping inside the long-running process: the daily retention purge, and emptying
SQLite's write-ahead log on a short timer.

``holos purge`` still runs the purge by hand. Every instance schedules it; a lock in the
database (see ``storage.services.retention.scheduled_purge``) makes an instance that
finds another one purging skip its turn, so two never purge at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from prometheus_client import Counter, Gauge

from storage.core import Core
from storage.services.retention import ScheduledPurge, reclaim_after, scheduled_purge

log = logging.getLogger("holos.bot.scheduler")

DAY = 24 * 3600.0
# The first run waits a little after start: a restart (an upgrade, a crash loop) does
# not purge at once, and a test run never purges under a conversation.
FIRST_RUN_AFTER = 600.0

RETENTION_RUNS = Counter(
    "holos_retention_runs",
    "Scheduled retention purges by outcome (done; skipped: another instance was purging; failed).",
    ["outcome"],
)
RETENTION_LAST_SUCCESS = Gauge(
    "holos_retention_last_success_timestamp_seconds",
    "Unix time of this instance's last completed retention purge (0: none yet).",
)
for _outcome in ("done", "skipped", "failed"):
    RETENTION_RUNS.labels(outcome=_outcome)


class _Stoppable:
    """A housekeeping loop's sleep, cut short by :meth:`stop`."""

    def __init__(self) -> None:
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def _wait(self, seconds: float) -> bool:
        """Sleep; True when stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
        return self._stop.is_set()


class RetentionSchedule(_Stoppable):
    def __init__(
        self, core: Core, *, every: float = DAY, first_after: float = FIRST_RUN_AFTER
    ) -> None:
        super().__init__()
        self.core = core
        self.every = every
        self.first_after = first_after

    async def run_once(self) -> ScheduledPurge | None:
        """One purge now, if no other instance is purging; None if one was."""
        async with self.core.database.transaction() as session:
            result = await scheduled_purge(session, self.core)
        if result is not None:
            await reclaim_after(self.core, result.report)  # committed: vacuum now
        if result is None:
            RETENTION_RUNS.labels(outcome="skipped").inc()
            log.info("retention_skipped_another_instance_purging")
            return None
        RETENTION_RUNS.labels(outcome="done").inc()
        RETENTION_LAST_SUCCESS.set(time.time())
        report = result.report
        log.info(
            "retention_purged drafts=%d chat_links=%d cases_emptied=%d audit_events=%d "
            "orphan_files=%d updates_forgotten=%d waiting_closed=%d",
            report.drafts,
            report.chat_links,
            report.cases_emptied,
            report.audit_events,
            report.orphan_files,
            result.updates_forgotten,
            result.waiting_closed,
        )
        return result

    async def run(self) -> None:
        """Until stopped: wait, purge, and again every ``every`` seconds. A failed run
        (the database away) is logged and tried again at the next turn."""
        delay = self.first_after
        while not await self._wait(delay):
            try:
                await self.run_once()
            except Exception as exc:  # never let housekeeping end the process
                RETENTION_RUNS.labels(outcome="failed").inc()
                log.error("retention_failed error=%s", type(exc).__name__)
            delay = self.every


# How often SQLite's log is emptied when it holds anything (storage.db.Database.truncate_log).
LOG_EVERY = 30.0


class LogTruncation(_Stoppable):
    """Every ``every`` seconds, if SQLite's write-ahead log holds anything, copy it into the
    database and cut it to nothing.

    A flow's end empties the log at once (storage.uow); this catches what a reader's
    snapshot held up then, and keeps the versions of drafts still open from piling up
    in the log. On PostgreSQL it does nothing."""

    def __init__(self, core: Core, *, every: float = LOG_EVERY) -> None:
        super().__init__()
        self.core = core
        self.every = every

    async def run_once(self) -> bool:
        """Empty the log now if it holds anything; False when a reader held it up."""
        database = self.core.database
        if not (database.log_pending or database.log_written()):
            return True
        done = await database.truncate_log()
        if not done:
            log.info("log_truncation_deferred")
        return done

    async def run(self) -> None:
        while not await self._wait(self.every):
            try:
                await self.run_once()
            except Exception as exc:  # never let housekeeping end the process
                log.error("log_truncation_failed error=%s", type(exc).__name__)


# How often the M&E figures' daily counts are folded (storage.day_counts), and how long
# after start the first round (which builds them if they are not built) waits.
DAY_COUNTS_EVERY = 15 * 60.0
DAY_COUNTS_FIRST_AFTER = 60.0


class DayCountSchedule(_Stoppable):
    """Every ``every`` seconds: build the daily counts if they are not built, else fold
    the writers' delta rows (storage.services.day_counts.keep). Two instances may both
    run it: a fold is one statement over one snapshot, a second build fails cleanly."""

    def __init__(
        self,
        core: Core,
        *,
        every: float = DAY_COUNTS_EVERY,
        first_after: float = DAY_COUNTS_FIRST_AFTER,
    ) -> None:
        super().__init__()
        self.core = core
        self.every = every
        self.first_after = first_after

    async def run_once(self) -> int:
        from storage.services.day_counts import keep

        folded = await keep(self.core)
        log.info("day_counts_kept folded=%d", folded)
        return folded

    async def run(self) -> None:
        delay = self.first_after
        while not await self._wait(delay):
            try:
                await self.run_once()
            except Exception as exc:  # never let housekeeping end the process
                log.error("day_counts_failed error=%s", type(exc).__name__)
            delay = self.every
