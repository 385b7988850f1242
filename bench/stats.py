"""The M&E statistics service timed on a seeded database (``python -m bench.stats``).

Apart from the API probes (bench/api.py) because a report is not one request's worth of
SQL: it is the statistics service over a year of cases. Two figures per engine: one
365-day report (the API's ``GET /stats``), and the console dashboard's set (that report
grouped by month plus the chart's month pieces), each from the daily counts
(storage.day_counts, built after the seeding and timed) and once counted from the cases.

With ``--point-responses`` it times a busy feedback point's results instead (issue 24 §3):
one point with that many survey responses (two scales, sex, age group, words) and
``--point-ratings`` ratings over a year, read by an analyst (figures) and by a focal
point (figures and the newest words), counted from the rows (before the daily counts
are built) and from the days; each query of the results timed too.
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

from bench.seed import NOW, POINT_CODE, POINT_SURVEY, seed, seed_point, seed_sql
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
FOCAL_POINT = Actor(ActorKind.SYSTEM, role=Role.FOCAL_POINT)


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


async def _best(core: Core, call: Callable[[], Awaitable[Any]], repeat: int = 3) -> float:
    """Best seconds of ``repeat`` calls, after one unmeasured (warm), on new connections:
    PostgreSQL plans a statement prepared on a connection for its parameters five times,
    then may keep a generic plan (the rows' self-join of the crossings: 0.4 s, then 2 s),
    so each figure is taken before that, as a fresh pool would."""
    await core.database.engine.dispose()
    await call()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        runs.append(time.perf_counter() - started)
    return min(runs)


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


def _settings(database_url: str, workdir: Path) -> Settings:
    """A bench database's settings: its own data directory and a throwaway key."""
    return Settings(
        _env_file=None,
        data_dir=workdir,
        database_url=database_url,
        secret_key=secrets.token_urlsafe(48),
    )


async def bench_stats(
    engine_name: str, database_url: str, *, cases: int, ratings: int, workdir: Path
) -> dict[str, Any]:
    await migrate_url(database_url)
    core = build_core(_settings(database_url, workdir))
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
    core = build_core(_settings(database_url, workdir))
    try:
        found = await measure(core, repeat=repeat)
    except Exception as exc:  # a benchmark reports, it never loses the other figures
        print(f"  {engine['engine']}: stats failed: {type(exc).__name__}: {exc}", flush=True)
        return {"failure": f"{type(exc).__name__}: {exc}"}
    finally:
        await core.close()
    print(line({**engine, **found}), flush=True)
    return found


async def measure_point(core: Core) -> dict[str, Any]:
    """The point's results over the year (what its page and ``GET /api/v1/feedback-
    points/{code}/results`` read): from the rows, then the daily counts built (timed)
    and from them; best of 3, warm; and each query alone."""
    from storage.repositories.day_counts import DayCountRepository
    from storage.repositories.feedback_results import FeedbackResultsRepository
    from storage.services.feedback_points import FeedbackPointService
    from storage.services.feedback_results import MAX_TEXTS, FeedbackResultsService

    period = year_period(ZoneInfo(core.settings.timezone))
    demographic = [q.name for q in POINT_SURVEY.asked if q.demographic is not None]

    seen: dict[str, list[Any]] = {}

    def results(actor: Actor) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            async with core.database.read_only() as session:
                service = FeedbackResultsService(session, core)
                got = await service.point(actor, POINT_CODE, period)
            seen.setdefault(str(actor.role), []).append(got)

        return call

    def query(name: str) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            async with core.database.read_only() as session:
                point = await FeedbackPointService(session, core).get(POINT_CODE)
                rows = FeedbackResultsRepository(session)
                days = DayCountRepository(session)
                ids, start, end = [point.id], period.start, period.end
                if name == "crossed_rows":
                    await rows.crossed(ids, start, end, demographic)
                elif name == "crossed_days":
                    await days.survey_crossings(ids, period.first, period.last, demographic)
                elif name == "ratings_rows":
                    await rows.rating_counts(ids, start, end)
                elif name == "ratings_days":
                    await days.point_ratings(ids, period.first, period.last)
                elif name == "answers_rows":
                    await rows.answer_counts(ids, start, end)
                    await rows.response_counts(ids, start, end)
                elif name == "answers_days":
                    await days.survey_counts(ids, period.first, period.last)
                else:
                    await rows.texts(point.id, start, end, limit=MAX_TEXTS)

        return call

    found: dict[str, Any] = {}
    for name in ("crossed_rows", "ratings_rows", "answers_rows", "texts"):
        found[f"{name}_s"] = round(await _best(core, query(name)), 3)
    found["analyst_rows_s"] = round(await _best(core, results(ANALYST)), 3)
    found["focal_rows_s"] = round(await _best(core, results(FOCAL_POINT)), 3)
    found["rebuild_s"] = round((await rebuild(core)).seconds, 1)
    for name in ("crossed_days", "ratings_days", "answers_days"):
        found[f"{name}_s"] = round(await _best(core, query(name)), 3)
    found["analyst_days_s"] = round(await _best(core, results(ANALYST)), 3)
    found["focal_days_s"] = round(await _best(core, results(FOCAL_POINT)), 3)
    found["load"] = load()
    # The figures are the same both ways (every call, for each role).
    found["same"] = all(all(r == got[0] for r in got) for got in seen.values())
    return found


async def bench_point(
    engine_name: str, database_url: str, *, responses: int, ratings: int, workdir: Path
) -> dict[str, Any]:
    await migrate_url(database_url)
    core = build_core(_settings(database_url, workdir))
    try:
        seeded = await seed_point(core.database.engine, responses=responses, ratings=ratings)
        print(f"  {engine_name}: seeded in {seeded:.0f} s", flush=True)
        found = await measure_point(core)
    finally:
        await core.close()
    return {"engine": engine_name, "responses": responses, "ratings": ratings, **found}


def point_line(r: dict[str, Any]) -> str:
    return (
        f"  {r['engine']}: a point's year, {r['responses']:,} responses and "
        f"{r['ratings']:,} ratings: analyst {r['analyst_rows_s']:.3f} s from the rows, "
        f"{r['analyst_days_s']:.3f} s from the days (built in {r['rebuild_s']:.1f} s); "
        f"focal point (with the words) {r['focal_rows_s']:.3f} s / {r['focal_days_s']:.3f} s; "
        f"crossings {r['crossed_rows_s']:.3f} / {r['crossed_days_s']:.3f} s, ratings "
        f"{r['ratings_rows_s']:.3f} / {r['ratings_days_s']:.3f} s, answers "
        f"{r['answers_rows_s']:.3f} / {r['answers_days_s']:.3f} s, newest words "
        f"{r['texts_s']:.3f} s (best of 3, warm; load {r['load']})"
        + ("" if r["same"] else "; THE FIGURES DIFFER between the rows and the days")
    )


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

    async def one(engine_name: str, url: str, workdir: Path) -> str:
        if args.point_responses:
            return point_line(
                await bench_point(
                    engine_name,
                    url,
                    responses=args.point_responses,
                    ratings=args.point_ratings,
                    workdir=workdir,
                )
            )
        return line(
            await bench_stats(
                engine_name, url, cases=args.cases, ratings=args.ratings, workdir=workdir
            )
        )

    with tempfile.TemporaryDirectory(prefix="holos-bench-stats-") as tmp:
        workdir = Path(tmp)
        if not args.postgres_only:
            url = f"sqlite+aiosqlite:///{workdir / 'stats.db'}"
            print(await one("sqlite", url, workdir), flush=True)
        if not args.no_postgres and (database := await _postgres_database()) is not None:
            url, dsn = database
            try:
                print(await one("postgresql", url, workdir), flush=True)
            finally:
                await _drop(dsn)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--ratings", type=int, default=10_000)
    parser.add_argument("--point-responses", type=int, default=0)
    parser.add_argument("--point-ratings", type=int, default=30_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    asyncio.run(_main(parser.parse_args()))
