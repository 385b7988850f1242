"""Small builders for storage tests: a report, a staff member, a dump of every row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text

from storage.access import Actor
from storage.core import Core
from storage.enums import Language, Status
from storage.services.intake import IntakeService, ReportSubmission, SubmittedCase
from storage.services.staff import StaffService
from storage.services.triage import CaseChanges, TriageService


def report(**overrides: Any) -> ReportSubmission:
    values: dict[str, Any] = {
        "category": "assistance_quality",
        "language": Language.UK,
        "oblast": "UA-63",
        "narrative": "Видали менше продуктів, ніж у списку.",
        "programme": "food",
    }
    values.update(overrides)
    return ReportSubmission(**values)


async def submit(core: Core, **overrides: Any) -> SubmittedCase:
    async with core.database.transaction() as session:
        return await IntakeService(session, core).submit(report(**overrides))


async def make_staff(core: Core, username: str, role: str) -> Actor:
    async with core.database.transaction() as session:
        user = await StaffService(session, core).create_user(
            Actor.system(), username=username, password="a-long-enough-password", role=role
        )
        return Actor.staff(user.id, user.username, user.role)


async def table_names(core: Core) -> list[str]:
    async with core.database.engine.connect() as conn:
        return await conn.run_sync(lambda c: inspect(c).get_table_names())


async def dump_rows(core: Core) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (FTS shadow tables included), as the database holds it."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    async with core.database.engine.connect() as conn:
        for table in await table_names(core):
            rows = (await conn.execute(text(f'SELECT * FROM "{table}"'))).all()
            dump[table] = [tuple(row) for row in rows]
    return dump


def dump_text(dump: dict[str, list[tuple[Any, ...]]]) -> str:
    """The dump as one string: text as is, bytes both decoded and hex-encoded."""
    parts: list[str] = []
    for table, rows in dump.items():
        parts.append(table)
        for row in rows:
            for value in row:
                if isinstance(value, bytes | bytearray | memoryview):
                    raw = bytes(value)
                    parts.append(raw.hex())
                    parts.append(raw.decode("latin-1"))
                else:
                    parts.append(str(value))
    return "\n".join(parts)


async def content_snapshot(core: Core) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of every domain table: compared before and after a refused operation."""
    dump = await dump_rows(core)
    return {t: sorted(map(repr, rows)) for t, rows in dump.items() if t != "alembic_version"}


TO_CLOSED = (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED)


async def walk_case(core: Core, ref: str, actor: Actor, *statuses: Status) -> None:
    """Move a case through ``statuses``, one staff change (and transaction) each."""
    for status in statuses:
        async with core.database.transaction() as session:
            service = TriageService(session, core)
            case = await service.get_visible(ref, actor)
            await service.update(
                ref, actor, expected_version=case.version, changes=CaseChanges(status=status)
            )
