"""EXPLAIN ANALYZE of the worklist's queries on PostgreSQL at scale, as the repository
builds them (the statements the API sends, literal values inlined).

    python -m bench.explain --cases 200000

Seeds a database ``holos_explain`` once (reused by later runs with as many cases) and
prints each query's execution time and the plan's top nodes. A diagnostic to read next
to ``make bench``, not part of it.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from dataclasses import replace
from typing import Any

import asyncpg
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql

from bench.api import POSTGRES_ADMIN_DSN
from bench.seed import COMMON_WORD, RARE_WORD, seed
from storage.core import build_core
from storage.enums import Sort
from storage.migrate import migrate_url
from storage.models import Case
from storage.repositories.cases import CaseFilter, CaseRepository, sort_keys
from storage.search import blind_query_tokens, terms
from storage.settings import Settings

DATABASE = "holos_explain"
# The seeder's vocabulary: a one-letter prefix found in nearly every narrative.
VERY_COMMON = "п"


async def _database(cases: int) -> str:
    conn = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{DATABASE}".replace("postgresql://", "postgresql+asyncpg://", 1)


def _sql(statement: Any) -> str:
    return str(
        statement.compile(
            dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True},
        )
    )


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.explain")
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="EXPLAIN ANALYZE runs per query")
    args = parser.parse_args(argv)
    url = await _database(args.cases)
    await migrate_url(url)
    secret_file = f"/tmp/{DATABASE}.secret"
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
    keys, _descending = sort_keys(Sort.CREATED_DESC)
    queries: list[tuple[str, Any]] = []
    async with core.database.read_only() as session:
        repo = CaseRepository(session)
        now = core.clock.now()
        for label, word in (
            ("rare word", RARE_WORD),
            (f"common word ({COMMON_WORD}, ~33%)", COMMON_WORD),
            (f"very common prefix ({VERY_COMMON}*, ~all)", VERY_COMMON),
        ):
            words = terms(word)
            for who, sensitive in (("operator", False), ("focal point", True)):
                flt = CaseFilter(search_terms=tuple(words))
                if sensitive:
                    flt = replace(flt, blind_tokens=tuple(blind_query_tokens(core.crypto, words)))
                # As the worklist does: count first, and past the cap walk the date index.
                total = await repo.count(flt, may_see_sensitive=sensitive, now=now, cap=10_000)
                many = total > 10_000
                page = (
                    select(Case.id, *keys)
                    .where(*repo._conditions(flt, may_see_sensitive=sensitive, now=now, many=many))
                    .order_by(*(k.desc() for k in keys))
                    .limit(51)
                )
                queries.append((f"{label}, {who}: first page", page))
                plain = replace(flt, blind_tokens=())  # the count's plain half (storage)
                count = select(func.count()).select_from(
                    select(Case.id)
                    .where(*repo._conditions(plain, may_see_sensitive=sensitive, now=now))
                    .limit(10_001)
                    .subquery()
                )
                queries.append((f"{label}, {who}: capped count (one of them)", count))
        for label, statement in queries:
            sql = _sql(statement)
            timings: list[float] = []
            plan: list[str] = []
            for _ in range(args.runs):
                rows = (await session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql))).all()
                plan = [r[0] for r in rows]
                timings += [
                    float(line.split(":")[1].split()[0])
                    for line in plan
                    if line.startswith("Execution Time")
                ]
            top = [line.strip() for line in plan if "->" in line][:3]
            best = f"{min(timings):.1f} ms" if timings else "?"
            print(f"{label}: {best} (best of {args.runs})", flush=True)
            for line in top:
                print(f"    {line[:150]}")
    await core.close()


if __name__ == "__main__":
    asyncio.run(main())
