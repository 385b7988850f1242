"""A small data set for the M&E indicators, with every value computed by hand.

Kyiv is UTC+3 until 2026-10-25 01:00 UTC (the end of summer time) and UTC+2 after, so
October 2026 in Kyiv is [2026-09-30 21:00, 2026-10-31 22:00) UTC: 31 days and an hour.

| case | category (SLA ack/resolve) | received (UTC)        | Kyiv month | what happened |
|------|----------------------------|-----------------------|------------|---------------|
| D    | assistance_quality 72h/30d | 2026-09-30 20:59:59   | September  | (outside the period) |
| C    | assistance_quality         | 2026-09-30 21:00:00   | October    | ack 1 s late; resolved in 10 days; closed; handling score 4 |
| G    | information_request 72h/7d | 2026-10-25 00:30:00   | October    | ack in 24 h; resolved in 8 days (late) |
| A    | assistance_quality         | 2026-10-31 21:59:59   | October    | ack exactly on time (72 h); resolved 1 s late |
| B    | assistance_quality         | 2026-10-31 22:00:00   | November   | never acknowledged: new, overdue |
| S    | fraud_corruption 24h/72h   | 2026-11-10 10:00:00   | November   | ack in 2 h; resolved in 48 h; closed; handling score 2 |
| E    | staff_conduct 72h/30d      | 2026-11-30 21:59:59   | November   | ack in 1 h; still open, inside its deadline |
| F    | assistance_quality         | 2026-11-30 22:00:00   | December   | (outside the period) |

Ratings (assistance): 5 food (Oct 15), 1 cash with waiting_time+respect (2026-10-31
21:30 UTC: October), 2 cash with waiting_time (2026-10-31 22:30 UTC: November), 5 food
(Nov 15). "Now" is 2026-12-10 12:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import Language, Status
from storage.models import Case
from storage.services.ratings import RatingService
from tests.storage.helpers import make_staff, submit, walk_case

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
S = timedelta(seconds=1)

# Cases keep their minute only (issue 10): the edge cases sit in a month's last minute.
A_AT = datetime(2026, 10, 31, 21, 59, tzinfo=UTC)
B_AT = datetime(2026, 10, 31, 22, 0, 0, tzinfo=UTC)
C_AT = datetime(2026, 9, 30, 21, 0, 0, tzinfo=UTC)
D_AT = datetime(2026, 9, 30, 20, 59, tzinfo=UTC)
E_AT = datetime(2026, 11, 30, 21, 59, tzinfo=UTC)
F_AT = datetime(2026, 11, 30, 22, 0, 0, tzinfo=UTC)
G_AT = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
S_AT = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)


@dataclass
class Seeded:
    refs: dict[str, str] = field(default_factory=dict)
    focal: Actor | None = None


async def _case(
    core: Core,
    clock: FrozenClock,
    focal: Actor,
    at: datetime,
    steps: list[tuple[timedelta, Status]],
    **kw: object,
) -> str:
    clock.set(at)
    ref = (await submit(core, **kw)).ref
    for offset, status in steps:
        clock.set(at + offset)
        await walk_case(core, ref, focal, status)
    return ref


async def _handling(core: Core, ref: str, score: int) -> None:
    async with core.database.transaction() as session:
        await session.execute(update(Case).where(Case.ref == ref).values(handling_score=score))


async def _rating(
    core: Core,
    clock: FrozenClock,
    at: datetime,
    score: int,
    programme: str,
    reasons: tuple[str, ...] = (),
    comment: str | None = None,
) -> None:
    clock.set(at)
    async with core.database.transaction() as session:
        await RatingService(session, core).rate_assistance(
            programme=programme,
            score=score,
            reasons=list(reasons),
            comment=comment,
            language=Language.UK,
        )


async def seed(core: Core, clock: FrozenClock) -> Seeded:
    ack, work, resolved, closed = (
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.CLOSED,
    )
    focal = await make_staff(core, "seed-focal", "focal_point")
    data = Seeded(focal=focal)
    data.refs["D"] = await _case(core, clock, focal, D_AT, [])
    data.refs["C"] = await _case(
        core,
        clock,
        focal,
        C_AT,
        [(72 * H + S, ack), (5 * D, work), (10 * D, resolved), (11 * D, closed)],
    )
    data.refs["G"] = await _case(
        core,
        clock,
        focal,
        G_AT,
        [(24 * H, ack), (2 * D, work), (8 * D, resolved)],
        category="information_request",
        programme="cash",
        oblast="UA-46",
        language=Language.EN,
    )
    data.refs["A"] = await _case(
        core, clock, focal, A_AT, [(72 * H, ack), (73 * H, work), (30 * D + S, resolved)]
    )
    data.refs["B"] = await _case(core, clock, focal, B_AT, [], programme="cash")
    data.refs["S"] = await _case(
        core,
        clock,
        focal,
        S_AT,
        [(2 * H, ack), (3 * H, work), (48 * H, resolved), (50 * H, closed)],
        category="fraud_corruption",
        narrative="Просили гроші за включення до списку.",
    )
    data.refs["E"] = await _case(
        core, clock, focal, E_AT, [(1 * H, ack)], category="staff_conduct", oblast="UA-46"
    )
    data.refs["F"] = await _case(core, clock, focal, F_AT, [])
    await _handling(core, data.refs["C"], 4)
    await _handling(core, data.refs["S"], 2)
    await _rating(
        core, clock, datetime(2026, 10, 15, 9, 0, tzinfo=UTC), 5, "food", comment="Дякуємо!"
    )
    await _rating(
        core,
        clock,
        datetime(2026, 10, 31, 21, 30, tzinfo=UTC),
        1,
        "cash",
        ("waiting_time", "respect"),
    )
    await _rating(
        core, clock, datetime(2026, 10, 31, 22, 30, tzinfo=UTC), 2, "cash", ("waiting_time",)
    )
    await _rating(core, clock, datetime(2026, 11, 15, 9, 0, tzinfo=UTC), 5, "food")
    clock.set(NOW)
    return data
