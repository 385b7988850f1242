"""A case's SLA at a glance agrees with the worklist's overdue filter and "due" sort."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import Status
from storage.models import Case
from storage.repositories.filters import due_expression, overdue_condition
from storage.services.triage import CaseChanges, TriageService
from storage.sla import case_sla
from tests.storage.helpers import make_staff, submit

# new → acknowledged → in_progress → referred → resolved → closed → reopened
PATH = [
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.REFERRED,
    Status.RESOLVED,
    Status.CLOSED,
    Status.IN_PROGRESS,
]


async def test_the_flag_agrees_with_the_filter_at_every_step(
    core: Core, clock: FrozenClock
) -> None:
    operator = await make_staff(core, "oper", "operator")
    refs = []
    for steps in range(len(PATH) + 1):
        ref = (await submit(core, category="information_request")).ref  # 72 h, then 7 days
        async with core.database.transaction() as session:
            service = TriageService(session, core)
            for status in PATH[:steps]:
                case = await service.get_visible(ref, operator)
                await service.update(
                    ref, operator, expected_version=case.version, changes=CaseChanges(status=status)
                )
        refs.append(ref)
    for hours in (0, 71, 73, 24 * 7 + 1, 24 * 40):
        now = clock.now() + timedelta(hours=hours)
        async with core.database.transaction() as session:
            cases = (await session.scalars(select(Case).where(Case.ref.in_(refs)))).all()
            overdue_ids = set(
                (await session.scalars(select(Case.id).where(overdue_condition(now)))).all()
            )
            dues = {
                row[0]: row[1] for row in await session.execute(select(Case.id, due_expression()))
            }
        assert len(cases) == len(PATH) + 1
        for case in cases:
            sla = case_sla(case, now)
            assert sla.overdue is (case.id in overdue_ids), (case.status, hours)
            assert sla.next_due_at == dues[case.id], case.status


async def test_the_clocks(core: Core, clock: FrozenClock) -> None:
    ref = (await submit(core)).ref  # acknowledge within 72 h, resolve within 30 days
    async with core.database.transaction() as session:
        case = await session.scalar(select(Case).where(Case.ref == ref))
    assert case is not None
    fresh = case_sla(case, clock.now())
    assert (fresh.acknowledge.state, fresh.resolve.state, fresh.overdue) == (
        "pending",
        "pending",
        False,
    )
    late = case_sla(case, clock.now() + timedelta(hours=73))
    assert (late.acknowledge.state, late.overdue) == ("overdue", True)
    assert late.next_due_at == case.acknowledge_due_at
