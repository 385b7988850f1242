"""What the worklist's "new for you" marks cost at scale (issue 21 §3).

    python -m bench.activity --cases 100000 --activity 20000 [--postgresql]

Seeds a fresh database (SQLite file under /tmp, or a throwaway PostgreSQL database):
``--cases`` cases, ``--activity`` activity rows on random cases (a reporter's addition,
a delivery failure, an assignment), and a staff member who opened half of those cases
after their activity. Then times, best and median of ``--runs``, the two reads a console
worklist page adds: the tabs' counts of cases with news (every status, under the
visibility rule) and the marks of one 25-row page. A diagnostic, not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import func, insert, select

from bench.api import POSTGRES_ADMIN_DSN
from bench.seed import seed
from storage.access import Actor
from storage.core import Core, build_core
from storage.enums import ActivityKind, Role
from storage.migrate import migrate_url
from storage.models import Case, CaseActivity, CaseSeen, StaffUser
from storage.repositories.filters import CaseFilter
from storage.services.worklist import Worklist
from storage.settings import Settings


async def _postgres_url() -> tuple[str, str]:
    name = f"holos_activity_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0]
    return name, f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def _drop(name: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def run(cases: int, activity: int, runs: int, postgresql: bool) -> None:
    dropped = None
    if postgresql:
        dropped, url = await _postgres_url()
    else:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'holos.db'}"
    try:
        await migrate_url(url)
        core = build_core(
            Settings(
                _env_file=None, data_dir="/tmp", database_url=url, secret_key=secrets.token_hex(32)
            )
        )
        seconds = await seed(core.database.engine, core.crypto, cases=cases, ratings=0)
        now = datetime.now(UTC)
        async with core.database.transaction() as session:
            staff = StaffUser(
                username="focal",
                role=Role.FOCAL_POINT,
                password_hash="-",
                created_at=now,
                updated_at=now,
            )
            session.add(staff)
            await session.flush()
            user_id = staff.id
            ids = list((await session.scalars(select(Case.id))).all())
        rng = random.Random(5)
        touched = rng.sample(ids, min(activity, len(ids)))
        kinds = [ActivityKind.REPORTER_ADDED, ActivityKind.DELIVERY_FAILED, ActivityKind.ASSIGNED]
        async with core.database.engine.begin() as conn:
            for start in range(0, len(touched), 5000):
                await conn.execute(
                    insert(CaseActivity),
                    [
                        {
                            "case_id": case_id,
                            "at": now - timedelta(minutes=rng.randrange(525_600)),  # over a year
                            "kind": rng.choice(kinds).value,
                            "user_id": user_id if rng.random() < 0.2 else None,
                        }
                        for case_id in touched[start : start + 5000]
                    ],
                )
            max_id = int(await conn.scalar(select(func.max(CaseActivity.id))) or 0)
            seen = touched[: len(touched) // 2]
            for start in range(0, len(seen), 5000):
                await conn.execute(
                    insert(CaseSeen),
                    [
                        {"user_id": user_id, "case_id": c, "seen_at": now, "activity_id": max_id}
                        for c in seen[start : start + 5000]
                    ],
                )
        await refresh(core)
        actor = Actor.staff(user_id, "focal", Role.FOCAL_POINT)
        print(
            f"{core.database.dialect}: {cases:,} cases seeded in {seconds:.0f} s, "
            f"{len(touched):,} with activity, half of them seen",
            flush=True,
        )
        for label in ("tab counts (every status)", "marks of a 25-row page"):
            timings = []
            for _ in range(runs):
                async with core.database.read_only() as session:
                    worklist = Worklist(session, core)
                    page = await worklist.page(actor, CaseFilter(), limit=25)
                    started = time.perf_counter()
                    if label.startswith("tab"):
                        found = sum(
                            (await worklist.new_activity_by_status(actor, CaseFilter())).values()
                        )
                    else:
                        found = len(await worklist.new_activity(actor, [c.id for c in page.items]))
                    timings.append((time.perf_counter() - started) * 1000)
            print(
                f"  {label}: best {min(timings):.1f} ms, median {statistics.median(timings):.1f} ms"
                f" ({found:,} found)",
                flush=True,
            )
        await core.close()
    finally:
        if dropped:
            await _drop(dropped)


async def refresh(core: Core) -> None:
    from storage.repositories.maintenance import refresh_statistics

    await refresh_statistics(core.database.engine)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.activity")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--activity", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.cases, args.activity, args.runs, args.postgresql))


if __name__ == "__main__":
    main()
