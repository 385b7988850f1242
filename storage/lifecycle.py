"""The case status machine (docs/staff-and-cases.md). Pure functions, no I/O; the SLA is in :mod:`storage.sla`."""

from __future__ import annotations

from storage.enums import Status
from storage.errors import IllegalTransition

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.ACKNOWLEDGED}),
    Status.ACKNOWLEDGED: frozenset({Status.IN_PROGRESS, Status.REFERRED, Status.WAITING}),
    Status.IN_PROGRESS: frozenset({Status.REFERRED, Status.RESOLVED, Status.WAITING}),
    Status.REFERRED: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.WAITING}),
    # Waiting for the reporter: they answered (back to work), or the case is finished;
    # closing it straight away is for a reporter who never answers.
    Status.WAITING: frozenset(
        {Status.IN_PROGRESS, Status.REFERRED, Status.RESOLVED, Status.CLOSED}
    ),
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
