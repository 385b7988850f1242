"""A case's SLA at a glance (SPEC §5): both clocks, the next deadline, overdue or not.

The worklist shows this for every row, so it must agree with the ``overdue`` filter of
:meth:`storage.repositories.cases.CaseRepository.overdue_condition` and with the next
deadline of :func:`storage.repositories.cases.due_expression`; the clocks are those
:meth:`storage.services.cases.CaseService.detail` shows. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.enums import OPEN_STATUSES, Status
from storage.lifecycle import SlaClock
from storage.models import Case


@dataclass(frozen=True)
class CaseSla:
    acknowledge: SlaClock
    resolve: SlaClock
    # Acknowledgement while the case is new, resolution afterwards (the "due" sort key).
    next_due_at: datetime
    overdue: bool


def case_sla(case: Case, now: datetime) -> CaseSla:
    status = Status(case.status)
    # Written as the SQL filter is, status first, so the flag and the filter cannot drift.
    overdue = (status is Status.NEW and case.acknowledge_due_at < now) or (
        status in OPEN_STATUSES and case.resolve_due_at < now
    )
    return CaseSla(
        acknowledge=SlaClock.of(case.acknowledge_due_at, case.acknowledged_at, now),
        resolve=SlaClock.of(case.resolve_due_at, case.resolved_at or case.closed_at, now),
        next_due_at=case.acknowledge_due_at if status is Status.NEW else case.resolve_due_at,
        overdue=overdue,
    )
