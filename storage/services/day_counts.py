"""The daily counts built and folded (storage.day_counts): ``holos stats rebuild`` and
the scheduler's round.

Neither changes a case or a rating, or any figure: a rebuild counts them anew, a fold
sums each key's delta rows into one. No audit event, as with the search reindex.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from storage.core import Core
from storage.repositories.day_counts import DayCountRepository


@dataclass(frozen=True)
class Rebuilt:
    cases: int
    ratings: int
    seconds: float

    def lines(self) -> list[str]:
        return [
            f"daily counts rebuilt: {self.cases} cases, {self.ratings} ratings "
            f"in {self.seconds:.1f} s"
        ]


async def rebuild(core: Core) -> Rebuilt:
    """Count every case and rating anew, in one transaction (writers wait on PostgreSQL;
    on SQLite the transaction is the one writer)."""
    started = time.monotonic()
    async with core.database.transaction() as session:
        cases, ratings = await DayCountRepository(session).rebuild(
            ZoneInfo(core.settings.timezone), core.clock.now()
        )
    return Rebuilt(cases, ratings, time.monotonic() - started)


async def keep(core: Core) -> int:
    """The scheduler's round: build the counts if they are not built (in this zone),
    else fold the delta rows. Returns the rows folded away (0 after a build)."""
    async with core.database.read_only() as session:
        built = await DayCountRepository(session).built(core.settings.timezone)
    if not built:
        await rebuild(core)
        return 0
    async with core.database.transaction() as session:
        return await DayCountRepository(session).fold()
