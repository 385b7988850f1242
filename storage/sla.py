"""A case's SLA: both clocks, the next deadline, overdue or not.

The one place the SLA is computed: the worklist row, the case detail
(:meth:`storage.services.triage.TriageService.detail`) and a change's answer all show
:func:`case_sla`. It must agree with the ``overdue`` filter of
:func:`storage.repositories.filters.overdue_condition` and with the next
deadline of :func:`storage.repositories.filters.due_expression`. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.enums import OPEN_STATUSES, Status
from storage.models import Case


@dataclass(frozen=True)
class SlaClock:
    """One SLA of a case: when it is due, when it was met, and whether it is breached."""

    due_at: datetime
    met_at: datetime | None
    state: str  # "met", "met_late", "pending", "overdue"

    @classmethod
    def of(cls, due_at: datetime, met_at: datetime | None, now: datetime) -> SlaClock:
        if met_at is not None:
            return cls(due_at, met_at, "met" if met_at <= due_at else "met_late")
        return cls(due_at, None, "overdue" if now > due_at else "pending")


@dataclass(frozen=True)
class CaseSla:
    acknowledge: SlaClock
    resolve: SlaClock
    # Acknowledgement while the case is new, resolution afterwards (the "due" sort key).
    next_due_at: datetime
    overdue: bool


def case_sla(case: Case, now: datetime) -> CaseSla:
    status = case.status
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
