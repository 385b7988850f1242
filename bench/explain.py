"""EXPLAIN ANALYZE of the worklist's queries on PostgreSQL at scale, as the repository
builds them (the statements the API sends, literal values inlined).

    python -m bench.explain --cases 200000

Seeds a database ``holos_explain_<cases>`` once (reused by later runs of that size) and
prints, for each query, the capped count's wall time and the EXPLAIN ANALYZE of every
statement it sent (a probe, then a walk or a gather), and of the first page. A diagnostic to read next
to ``make bench``, not part of it.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from dataclasses import replace
from typing import Any

import asyncpg
from sqlalchemy import event, func, select

from bench.api import POSTGRES_ADMIN_DSN
from bench.seed import COMMON_FORM, COMMON_WORD, RARE_FORM, RARE_WORD, seed
from storage.core import build_core
from storage.enums import Sort, Status
from storage.migrate import migrate_url
from storage.models import Case
from storage.repositories.filters import CaseFilter
from storage.repositories.search import SearchRepository
from storage.repositories.worklist import WorklistRepository
from storage.search import blind_query_tokens, terms
from storage.settings import Settings

DATABASE = "holos_explain"
# The seeder's vocabulary: a one-letter prefix found in nearly every narrative.
VERY_COMMON = "п"


def _name(cases: int) -> str:
    # One database per size: the seeder is deterministic, so topping a smaller one up
    # would repeat its receipt hashes.
    return f"{DATABASE}_{cases}"


async def _database(cases: int) -> str:
    conn = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        name = _name(cases)
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{_name(cases)}".replace("postgresql://", "postgresql+asyncpg://", 1)


async def _explain(connection: Any, label: str, sql: str, params: Any, runs: int) -> None:
    timings: list[float] = []
    plan: list[str] = []
    for _ in range(runs):
        result = await connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [r[0] for r in result.all()]
        timings += [
            float(line.split(":")[1].split()[0])
            for line in plan
            if line.startswith("Execution Time")
        ]
    top = [line.strip() for line in plan if "->" in line][:6]
    best = f"{min(timings):.1f} ms" if timings else "?"
    print(f"{label}: {best} (best of {runs})", flush=True)
    for line in top:
        print(f"        {line[:150]}")


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.explain")
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="EXPLAIN ANALYZE runs per query")
    args = parser.parse_args(argv)
    url = await _database(args.cases)
    await migrate_url(url)
    secret_file = f"/tmp/{_name(args.cases)}.secret"
    try:
        secret = open(secret_file).read().strip()  # noqa: SIM115, ASYNC230
    except FileNotFoundError:
        secret = secrets.token_urlsafe(48)
        open(secret_file, "w").write(secret)  # noqa: SIM115, ASYNC230
    core = build_core(
        Settings(_env_file=None, data_dir="/tmp", database_url=url, secret_key=secret)
    )
    async with core.database.read_only() as session:
        have = int(await session.scalar(select(func.count()).select_from(Case)) or 0)
    if have < args.cases:
        seconds = await seed(core.database.engine, core.crypto, cases=args.cases - have, ratings=0)
        print(f"seeded {args.cases - have:,} cases in {seconds:.0f} s", flush=True)
    async with core.database.read_only() as session:
        counter = SearchRepository(session)
        repo = WorklistRepository(session)
        now = core.clock.now()
        cases: list[tuple[str, CaseFilter, bool]] = [
            ("worklist, operator", CaseFilter(), False),
            (
                "filtered worklist (2 statuses, oblast, category), operator",
                CaseFilter(
                    statuses=(Status.NEW, Status.ACKNOWLEDGED),
                    oblasts=("UA-63",),
                    categories=("assistance_quality",),
                ),
                False,
            ),
        ]
        for label, word in (
            ("rare word", RARE_WORD),
            (f"rare word by lemma ({RARE_FORM})", RARE_FORM),
            (f"common word ({COMMON_WORD}, ~33%)", COMMON_WORD),
            (f"common word by lemma ({COMMON_FORM}, ~50%)", COMMON_FORM),
            (f"very common prefix ({VERY_COMMON}*, ~all)", VERY_COMMON),
        ):
            words = terms(word)
            for who, sensitive in (("operator", False), ("focal point", True)):
                flt = CaseFilter(search_terms=tuple(words))
                if sensitive:
                    flt = replace(flt, blind_tokens=tuple(blind_query_tokens(core.crypto, words)))
                cases.append((f"{label}, {who}", flt, sensitive))
        for label, flt, sensitive in cases:
            # The capped count as the worklist runs it (a probe, then a walk or a gather):
            # its statements are recorded and each EXPLAINed, and the whole timed.
            statements: list[tuple[str, Any]] = []

            def record(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
                if not sql.lstrip().upper().startswith("EXPLAIN"):
                    statements.append((sql, params))  # noqa: B023

            event.listen(core.database.engine.sync_engine, "before_cursor_execute", record)
            walls: list[float] = []
            for _ in range(args.runs):
                statements.clear()
                started = time.perf_counter()
                total = await counter.count(flt, may_see_sensitive=sensitive, now=now, cap=10_000)
                walls.append((time.perf_counter() - started) * 1000)
            counted = list(statements)
            # The first page as the worklist reads it (list_page: its ids, then their rows).
            pages: list[float] = []
            for _ in range(args.runs):
                statements.clear()
                started = time.perf_counter()
                await repo.list_page(
                    flt,
                    may_see_sensitive=sensitive,
                    now=now,
                    sort=Sort.CREATED_DESC,
                    after=None,
                    limit=51,
                    many=total > 10_000,
                )
                pages.append((time.perf_counter() - started) * 1000)
            paged = list(statements)
            event.remove(core.database.engine.sync_engine, "before_cursor_execute", record)
            print(
                f"{label}: capped count {min(walls):.1f} ms -> {total:,}, "
                f"first page {min(pages):.1f} ms",
                flush=True,
            )
            connection = await session.connection()
            for sql, params in counted:
                await _explain(connection, "    count step", sql, params, args.runs)
            for sql, params in paged:
                await _explain(connection, "    first page", sql, params, args.runs)
    await core.close()


if __name__ == "__main__":
    asyncio.run(main())
