"""What one update costs the database (issue 9, the bot's CPU per update): the state,
the kept language and the redelivery check are one statement outside any transaction,
and each statement crosses to aiosqlite's thread once (storage.db)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from storage.core import Core
from storage.models import ProcessedUpdate
from storage.repositories.conversation import read_snapshot
from tests.handlers.conversation import Talk
from tests.harness import BotFactory


@contextmanager
def statements(core: Core) -> Iterator[list[str]]:
    """Every statement the engine sends to the driver, BEGIN and COMMIT included."""
    seen: list[str] = []
    engine = core.database.engine.sync_engine

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    def commit(conn: Any) -> None:
        seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "commit", commit)


@contextmanager
def thread_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    trips: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", type(fn).__name__))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield trips


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # aiosqlite's thread
async def test_a_statement_is_one_trip_to_the_driver_thread_with_the_same_results(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert core.database.dialect == "sqlite"
    async with core.database.transaction() as session:
        await session.execute(
            insert(ProcessedUpdate), [{"update_id": 1, "handled_at": core.clock.now()}]
        )
    with thread_trips(monkeypatch) as trips:
        async with core.database.transaction() as session:
            await session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE goes first
            before = len(trips)
            rows = (await session.execute(select(ProcessedUpdate.update_id))).all()
            # SQLAlchemy's own adapter: a cursor, execute, fetch, close.
            assert len(trips) - before == 1
            before = len(trips)
            result: Any = await session.execute(
                update(ProcessedUpdate).values(handled_at=core.clock.now())
            )
            assert len(trips) - before == 1
    assert rows == [(1,)]
    async with core.database.read_only() as session:
        assert (await session.execute(select(ProcessedUpdate.update_id))).fetchmany() == [(1,)]
    assert result.rowcount == 1
    with pytest.raises(IntegrityError):
        async with core.database.transaction() as session:
            await session.execute(
                insert(ProcessedUpdate).values(update_id=1, handled_at=core.clock.now())
            )


async def test_a_single_statement_runs_outside_a_transaction_and_sees_committed_rows(
    core: Core,
) -> None:
    async with core.database.transaction() as session:
        await session.execute(
            insert(ProcessedUpdate).values(update_id=7, handled_at=core.clock.now())
        )
    with statements(core) as seen:
        async with core.database.single_statement() as connection:
            snapshot = await read_snapshot(connection, ("nobody", "nobody-yesterday"), "nobody", 7)
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    assert snapshot.update_seen is True
    assert snapshot.state is None and snapshot.language is None
    assert not [s for s in seen if s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]


async def test_an_update_reads_its_state_and_redelivery_check_in_one_statement(
    start_bot: BotFactory, make_user, bot_core: Core
) -> None:
    runtime = await start_bot()
    await runtime.worker.flush()
    runtime.worker.stop()  # its polling would add statements of its own
    talk = Talk(await make_user("en"), "en")
    await talk.command("start")
    await talk.tap("📝 Complaint or feedback")
    with statements(bot_core) as seen:
        # A step answered by a button: its message is edited into the next question.
        await talk.tap("A suggestion or thanks")
    reads = [s for s in seen if s.startswith("SELECT")]
    assert len(reads) == 1
    assert "processed_updates" in reads[0] and "conversation_states" in reads[0]
    assert "language_preferences" in reads[0]
    # The only transaction is the write before the answer; the read took none.
    assert [s for s in seen if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
