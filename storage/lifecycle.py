"""The case status machine and SLA arithmetic (SPEC §5). Pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.enums import Status
from storage.errors import IllegalTransition

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.ACKNOWLEDGED}),
    Status.ACKNOWLEDGED: frozenset({Status.IN_PROGRESS, Status.REFERRED}),
    Status.IN_PROGRESS: frozenset({Status.REFERRED, Status.RESOLVED}),
    Status.REFERRED: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    # Reopening: a resolved or closed case goes back to work.
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


def allowed_transitions(current: Status) -> frozenset[Status]:
    return TRANSITIONS[current]


def check_transition(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(
            current.value, target.value, (s.value for s in TRANSITIONS[current])
        )


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
