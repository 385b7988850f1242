"""The M&E statistics service timed on a seeded database (``python -m bench.stats``).

Apart from the API probes (bench/api.py) because a report is not one request's worth of
SQL: it is the statistics service over a year of cases. Two figures per engine: one
365-day report (the API's ``GET /stats``), and the console dashboard's set (that report
grouped by month plus the chart's month pieces), each from the daily counts
(storage.day_counts, built after the seeding and timed) and once counted from the cases.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.seed import NOW, seed, seed_sql
from storage.access import Actor
from storage.core import Core, build_core
from storage.enums import ActorKind, Role
from storage.migrate import migrate_url
from storage.periods import Period
from storage.repositories.filters import CaseFilter
from storage.services.day_counts import rebuild
from storage.services.stats import StatsService
from storage.settings import Settings

ANALYST = Actor(ActorKind.SYSTEM, role=Role.ANALYST)


def year_period(zone: ZoneInfo) -> Period:
    """The 365 Kyiv days the seeder spreads its cases over."""
    last = NOW.astimezone(zone).date()
    return Period(date.fromordinal(last.toordinal() - 364), last, zone)


async def _timed(call: Callable[[], Awaitable[Any]], repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def load() -> str:
    """The load average (1, 5, 15 min), to read every figure beside."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


async def measure(core: Core, *, repeat: int = 3, cases_repeat: int = 1) -> dict[str, Any]:
    """The report and the dashboard from the daily counts (built first, timed: what
    ``holos stats rebuild`` takes), and once each counted from the cases as before."""
    period = year_period(ZoneInfo(core.settings.timezone))
    rebuilt = await rebuild(core)

    def one(use_days: bool) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            async with core.database.read_only() as session:
                service = StatsService(session, core, use_days=use_days)
                await service.report(ANALYST, CaseFilter(), period)

        return call

    def dashboard(use_days: bool) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            async with core.database.read_only() as session:
                service = StatsService(session, core, use_days=use_days)
                await service.report(ANALYST, CaseFilter(), period, group_by="month", months=True)

        return call

    return {
        "rebuild_s": round(rebuilt.seconds, 1),
        "report_s": round(await _timed(one(True), repeat), 3),
        "dashboard_s": round(await _timed(dashboard(True), repeat), 3),
        "report_cases_s": round(await _timed(one(False), cases_repeat), 3),
        "dashboard_cases_s": round(await _timed(dashboard(False), cases_repeat), 3),
        "load": load(),
    }


async def bench_stats(
    engine_name: str, database_url: str, *, cases: int, ratings: int, workdir: Path
) -> dict[str, Any]:
    settings = Settings(
        _env_file=None,
        data_dir=workdir,
        database_url=database_url,
        secret_key=secrets.token_urlsafe(48),
    )
    await migrate_url(database_url)
    core = build_core(settings)
    try:
        engine = core.database.engine
        if engine.dialect.name == "postgresql":
            seeded = await seed_sql(engine, cases=cases, ratings=ratings)
        else:
            seeded = await seed(engine, core.crypto, cases=cases, ratings=ratings)
        print(f"  {engine_name}: seeded in {seeded:.0f} s", flush=True)
        found = await measure(core)
    finally:
        await core.close()
    return {"engine": engine_name, "cases": cases, "ratings": ratings, **found}


async def on_seeded(
    engine: dict[str, Any], database_url: str, workdir: Path, *, repeat: int = 1
) -> dict[str, Any]:
    """The figures on the API part's database, already seeded: printed as one line."""
    settings = Settings(
        _env_file=None,
        data_dir=workdir,
        database_url=database_url,
        secret_key=secrets.token_urlsafe(48),
    )
    core = build_core(settings)
    try:
        found = await measure(core, repeat=repeat)
    except Exception as exc:  # a benchmark reports, it never loses the other figures
        print(f"  {engine['engine']}: stats failed: {type(exc).__name__}: {exc}", flush=True)
        return {"failure": f"{type(exc).__name__}: {exc}"}
    finally:
        await core.close()
    print(line({**engine, **found}), flush=True)
    return found


def line(result: dict[str, Any]) -> str:
    return (
        f"  {result['engine']}: stats over {result['cases']:,} cases, "
        f"{result['ratings']:,} ratings, from the daily counts (built in "
        f"{result['rebuild_s']:.0f} s): one 365-day report {result['report_s']:.2f} s, "
        f"dashboard (report by month + month pieces) {result['dashboard_s']:.2f} s; "
        f"counted from the cases: {result['report_cases_s']:.2f} s and "
        f"{result['dashboard_cases_s']:.2f} s (load {result['load']})"
    )


async def _main(args: argparse.Namespace) -> None:
    from bench.__main__ import _drop, _postgres_database

    with tempfile.TemporaryDirectory(prefix="holos-bench-stats-") as tmp:
        workdir = Path(tmp)
        if not args.postgres_only:
            url = f"sqlite+aiosqlite:///{workdir / 'stats.db'}"
            print(
                line(
                    await bench_stats(
                        "sqlite", url, cases=args.cases, ratings=args.ratings, workdir=workdir
                    )
                ),
                flush=True,
            )
        if not args.no_postgres and (database := await _postgres_database()) is not None:
            url, dsn = database
            try:
                print(
                    line(
                        await bench_stats(
                            "postgresql",
                            url,
                            cases=args.cases,
                            ratings=args.ratings,
                            workdir=workdir,
                        )
                    ),
                    flush=True,
                )
            finally:
                await _drop(dsn)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--ratings", type=int, default=10_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    asyncio.run(_main(parser.parse_args()))
