"""An API GET reads without the write lock (issue 9): its reads run in a read-only
transaction (no lock a writer waits for on SQLite, READ ONLY on PostgreSQL), and what it
writes (the audit record of a sensitive read, a token's last use) goes in one short
transaction after them. A token's last use is written at most once a minute."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from storage.clock import FrozenClock
from storage.models import ApiToken
from tests.admin_api.helpers import Api, attachment_id, submit_with_file
from tests.storage.helpers import submit

V1 = "/api/v1"


@dataclass
class StatementProbe:
    """At every statement the API sends: was its connection read-only, and (SQLite) could
    another connection take the write lock right then without waiting?"""

    sqlite_path: str | None
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _inside: bool = False

    def __call__(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._inside:
            return
        words = statement.split()
        verb = words[0].upper()
        if verb in ("BEGIN", "SHOW", "SET", "COMMIT", "ROLLBACK"):
            return
        read_only = bool(conn.get_execution_options().get("holos_read_only"))
        if verb in ("SELECT", "WITH"):
            if not read_only:
                self.problems.append(f"read on a write connection: {statement[:60]}")
            self.reads.append(statement)
            self._check_read_only(conn)
        else:
            if read_only:
                self.problems.append(f"write on a read-only connection: {statement[:60]}")
            self.writes.append(" ".join(words[:3]).lower())

    def _check_read_only(self, conn: Any) -> None:
        if self.sqlite_path is None:
            # Ask PostgreSQL itself whether this transaction is read-only.
            self._inside = True
            try:
                value = conn.exec_driver_sql("SHOW transaction_read_only").scalar()
            finally:
                self._inside = False
            if value != "on":
                self.problems.append("PostgreSQL transaction not read-only")
            return
        probe = sqlite3.connect(self.sqlite_path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError:
            self.problems.append("write lock held during a read")
        finally:
            probe.close()


@contextmanager
def probing(api: Api) -> Iterator[StatementProbe]:
    url = api.core.settings.database_url
    path = url.split("///", 1)[1] if url.startswith("sqlite") else None
    probe = StatementProbe(path)
    engine = api.core.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", probe)
    try:
        yield probe
    finally:
        event.remove(engine, "before_cursor_execute", probe)


async def test_gets_read_without_the_write_lock_and_write_the_audit_after(staffed: Api) -> None:
    api = staffed
    std = await submit(api.core)
    sens = await submit_with_file(api.core, category="trafficking", narrative="паспорт")
    sens_file = await attachment_id(api.core, sens.ref)
    with probing(api) as probe:
        for path in (
            f"{V1}/cases",
            f"{V1}/cases?q=паспорт",
            f"{V1}/cases/{std.ref}",
            f"{V1}/cases/{sens.ref}",
            f"{V1}/cases/{sens.ref}/events",
            f"{V1}/cases/{sens.ref}/attachments/{sens_file}",
            f"{V1}/audit",
        ):
            response = await api.call("GET", path, "focal_point")
            assert response.status_code == 200, (path, response.text)
    assert len(probe.reads) > 10
    assert probe.problems == []
    # Written: the token's first use, then the search that matched a sensitive case and
    # the three sensitive reads, each after the reads of its request.
    assert probe.writes == ["update api_tokens set"] + ["insert into audit_events"] * 4


async def test_a_token_use_is_recorded_apart_at_most_once_a_minute(
    staffed: Api, clock: FrozenClock
) -> None:
    api = staffed
    token_hash = api.core.crypto.token_hash(api.tokens["operator"])

    async def last_used() -> Any:
        async with api.core.database.read_only() as session:
            row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
            assert row is not None
            return row.last_used_at

    with probing(api) as probe:
        assert (await api.call("GET", f"{V1}/cases", "operator")).status_code == 200
    first = await last_used()
    assert first == clock.now()
    assert probe.writes == ["update api_tokens set"] and probe.problems == []

    clock.advance(timedelta(seconds=30))
    with probing(api) as probe:
        assert (await api.call("GET", f"{V1}/cases", "operator")).status_code == 200
    assert probe.writes == [] and probe.problems == []
    assert await last_used() == first

    clock.advance(timedelta(minutes=1))
    assert (await api.call("GET", f"{V1}/cases", "operator")).status_code == 200
    assert await last_used() == clock.now()
