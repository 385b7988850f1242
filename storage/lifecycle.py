"""The case status machine (docs/staff-and-cases.md). Pure functions, no I/O; the SLA is in :mod:`storage.sla`."""

from __future__ import annotations

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
