"""Small builders for storage tests: a report, a staff member, a dump of every row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import inspect, text

from storage import totp
from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.counters import MemoryCounters
from storage.enums import Language, Outcome, Status
from storage.repositories.staff import StaffRepository
from storage.services.intake import IntakeService, ReportSubmission, SubmittedCase
from storage.services.staff import StaffService, two_factor_required
from storage.services.throttle import ReceiptMisses
from storage.services.triage import CaseChanges, TriageService
from storage.services.two_factor import TwoFactor


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


async def make_staff(
    core: Core, username: str, role: str, *, two_factor: bool | None = None
) -> Actor:
    """An account like ``holos user create`` makes: focal points and admins (or, with
    ``two_factor=True``, anyone) enrolled in two-factor sign-in (see :func:`otp`)."""
    async with core.database.transaction() as session:
        user = await StaffService(session, core).create_user(
            Actor.system(), username=username, password="a-long-enough-password", role=role
        )
        if two_factor if two_factor is not None else two_factor_required(role):
            await TwoFactor(session, core).enrol(Actor.system(), user)
        return Actor.staff(user.id, user.username, user.role)


async def otp(core: Core, username: str) -> str | None:
    """The code an authenticator app would show for ``username`` now, or None without
    two-factor sign-in. Each step is accepted once, so when this step and the next were
    used already the (frozen) clock moves on to a fresh one."""
    async with core.database.transaction() as session:
        user = await StaffRepository(session).get_by_username(username)
        assert user is not None
        secret = TwoFactor(session, core).secret(user) if user.totp_enrolled_at else None
        last = user.totp_last_step
    if secret is None:
        return None
    now = core.clock.now()
    current = totp.step_of(now)
    for step in (current, current + 1):
        if last is None or step > last:
            return totp.code_at(secret, now + timedelta(seconds=(step - current) * 30))
    assert isinstance(core.clock, FrozenClock)
    core.clock.advance(timedelta(seconds=(last - current) * 30))
    return totp.code_at(secret, core.clock.now())


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
            # Closing records an outcome (a sealed case needs one).
            outcome = Outcome.RESOLVED if status is Status.CLOSED else None
            await service.update(
                ref,
                actor,
                expected_version=case.version,
                changes=CaseChanges(status=status, outcome=outcome),
            )


def tampered_cursor(cursor: str) -> str:
    """``cursor`` with one character in its middle changed.

    A base64 string's last character may carry only padding bits, so swapping
    the tail can leave the decoded bytes as they were and the test would pass
    by luck; a middle character carries six real bits, so this one always
    changes what the server decodes.
    """
    middle = len(cursor) // 2
    swapped = "B" if cursor[middle] == "A" else "A"
    return cursor[:middle] + swapped + cursor[middle + 1 :]


class Reporters:
    """People's receipt-code misses, counted as the bot counts them (in memory here)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.counters = MemoryCounters(core.clock)

    def misses(self, who: int | str) -> ReceiptMisses:
        return ReceiptMisses(self.counters, self.core.clock, self.core.crypto.person(who))
