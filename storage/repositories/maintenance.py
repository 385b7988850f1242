"""Reclaiming the space a purge freed, so purged words leave the database files.

Deleting a row is not enough: SQLite's full-text index keeps a deleted document's terms
in its segments until they are merged, free pages linger, and the write-ahead log keeps
the old pages; PostgreSQL keeps dead tuples until a vacuum. This runs outside any
transaction (VACUUM refuses to run inside one), after the purge has committed.

It also refreshes the query planner's statistics. SQLite keeps none until ``ANALYZE``
runs, and without them it walks the date index for a rare word or a filtered worklist
(34 and 72 ms at 100,000 cases, against 7.6 and 9.2 ms with them; docs/performance.md).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# PostgreSQL: the tables a purge deletes from or blanks (case content and the trail).
PURGED_TABLES = (
    "cases",
    "case_additions",
    "case_search_tokens",
    "attachments",
    "notes",
    "replies",
    "contact_details",
    "reporter_links",
    "conversation_states",
    "language_preferences",
    "throttle_counters",
    "processed_updates",
    "audit_events",
    "outbox",
)


async def reclaim_space(engine: AsyncEngine) -> None:
    if engine.dialect.name == "sqlite":
        await _sqlite(engine)
    else:
        await _postgresql(engine)


# Rows SQLite samples per index: enough for the planner's choices, a few milliseconds
# at a million cases (a full ANALYZE reads every row of every index).
SQLITE_ANALYSIS_LIMIT = 1000


async def refresh_statistics(engine: AsyncEngine) -> None:
    """The planner's statistics, brought up to date: daily, and after migrating."""
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # The driver's own connection, as in _sqlite below: no write-lock BEGIN.
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
            await driver.execute("ANALYZE")
            await driver.commit()
        else:
            # Autovacuum analyses too, but only once enough rows changed; a day's cases
            # in a large table may not reach its threshold.
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("ANALYZE")


async def _sqlite(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        # The driver's own connection: SQLAlchemy would open a transaction first (the
        # engine's "begin" hook takes the write lock), and VACUUM refuses to run in one.
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        cursor = await driver.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND lower(sql) LIKE 'create virtual table%using fts5%'"
        )
        names = [row[0] for row in await cursor.fetchall()]
        for name in names:
            # Re-read from the content tables: the segments no longer hold purged terms.
            await driver.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')  # noqa: S608 (names from sqlite_master)
        await driver.execute("VACUUM")
        # Copy everything into the main file and empty the log, old pages with it.
        await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _postgresql(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        present = set(
            (
                await autocommit.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
            ).scalars()
        )
        for table in PURGED_TABLES:
            if table in present:
                await autocommit.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')


# The tables whose rows hold what was written about a case (plain while it is standard).
CASE_TEXT_TABLES = ("cases", "case_additions", "notes", "replies", "attachments")


async def drop_old_text(engine: AsyncEngine) -> None:
    """Once a case's text was rewritten sealed (:mod:`storage.services.reclassify`) and
    committed: make the plain copies leave the database's own structures.

    SQLite: the rows were rewritten in place and ``secure_delete`` zeroed the old bytes,
    but each full-text index keeps the old words in its segments until they are merged;
    ``optimize`` merges them into one without the deleted entries (the write-ahead log
    is the caller's: :meth:`storage.db.Database.truncate_log`). Cheaper than the purge's
    VACUUM, which rewrites the whole file. PostgreSQL: the old row versions are dead
    tuples until a vacuum marks their space free (see the README for what that means)."""
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            cursor = await driver.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND lower(sql) LIKE 'create virtual table%using fts5%'"
            )
            for (name,) in await cursor.fetchall():
                await driver.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'optimize\')')  # noqa: S608 (names from sqlite_master)
            await driver.commit()
            return
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in CASE_TEXT_TABLES:
            await autocommit.exec_driver_sql(f'VACUUM "{table}"')
