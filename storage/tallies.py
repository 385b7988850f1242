"""The arithmetic of the M&E indicators: pure tallies, no I/O.

Definitions (the monthly workbook's notes sheet repeats them):

- A case belongs to the period (and month) in which it was received, in Kyiv time.
- *Acknowledged within SLA*: acknowledged at or before its acknowledgement deadline
  (exactly on time counts as on time). The share's base is every case whose
  acknowledgement is decided: acknowledged, or never acknowledged and past the
  deadline (a miss). A case still inside its deadline is in neither part.
- *Resolved within SLA*: the same with the resolution deadline and time.
- *Time to acknowledge / resolve*: hours from receipt; the median (the mean of the two
  middle values for an even count) and the 90th percentile by nearest rank.
- *Open*, *overdue*: the period's cases still open, and of those past a deadline, now.
- *Satisfied*: a score of 4 or 5 on the 1–5 scale.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.enums import OPEN_STATUSES, Status

SCORES = (1, 2, 3, 4, 5)
SATISFIED = (4, 5)
TOP_REASONS = 5
_OPEN = frozenset(s.value for s in OPEN_STATUSES)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``share`` of all at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


@dataclass
class ScoreTally:
    count: int = 0
    total: int = 0
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SCORES, 0))
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, score: int, reasons: list[str] | None = None, times: int = 1) -> None:
        """``times`` ratings of ``score``, each giving ``reasons``."""
        self.count += times
        self.total += score * times
        self.distribution[score] = self.distribution.get(score, 0) + times
        for reason in reasons or ():
            self.reasons[reason] += times

    @property
    def satisfied(self) -> int:
        return sum(self.distribution.get(s, 0) for s in SATISFIED)

    def result(self) -> Satisfaction:
        return Satisfaction(
            count=self.count,
            mean=round(self.total / self.count, 2) if self.count else None,
            share_satisfied=_share(self.satisfied, self.count),
            distribution={str(s): self.distribution.get(s, 0) for s in SCORES},
            top_reasons=[
                {"reason": r, "count": n}
                for r, n in sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))[
                    :TOP_REASONS
                ]
            ],
        )


@dataclass(frozen=True)
class Satisfaction:
    count: int
    mean: float | None
    share_satisfied: float | None
    distribution: dict[str, int]
    top_reasons: list[dict[str, Any]]


@dataclass(frozen=True)
class CaseIndicators:
    received: int
    acknowledged_within_sla: int
    acknowledge_decided: int
    share_acknowledged_within_sla: float | None
    resolved_within_sla: int
    resolve_decided: int
    share_resolved_within_sla: float | None
    median_hours_to_acknowledge: float | None
    p90_hours_to_acknowledge: float | None
    median_hours_to_resolve: float | None
    p90_hours_to_resolve: float | None
    open: int
    overdue: int
    handling_satisfaction: Satisfaction
    # How many times the medians and percentiles are over (cases acknowledged, resolved).
    acknowledged: int = 0
    resolved: int = 0


@dataclass
class CaseTally:
    received: int = 0
    ack_met: int = 0
    ack_decided: int = 0
    res_met: int = 0
    res_decided: int = 0
    open: int = 0
    overdue: int = 0
    ack_hours: list[float] = field(default_factory=list)
    res_hours: list[float] = field(default_factory=list)
    handling: ScoreTally = field(default_factory=ScoreTally)

    def add(self, row: Any, now: datetime) -> None:
        self.received += 1
        created: datetime = row.created_at
        if row.acknowledged_at is not None:
            self.ack_decided += 1
            self.ack_met += row.acknowledged_at <= row.acknowledge_due_at
            self.ack_hours.append((row.acknowledged_at - created).total_seconds() / 3600)
        elif now > row.acknowledge_due_at:
            self.ack_decided += 1
        if row.resolved_at is not None:
            self.res_decided += 1
            self.res_met += row.resolved_at <= row.resolve_due_at
            self.res_hours.append((row.resolved_at - created).total_seconds() / 3600)
        elif now > row.resolve_due_at and row.status != Status.WAITING:
            self.res_decided += 1
        if row.status in _OPEN:
            self.open += 1
            late_ack = row.status == Status.NEW and now > row.acknowledge_due_at
            on_clock = row.status != Status.WAITING
            if on_clock and (late_ack or now > row.resolve_due_at):
                self.overdue += 1
        if row.handling_score is not None:
            self.handling.add(int(row.handling_score))

    def add_counts(self, score: int | None, counts: Any) -> None:
        """A group of cases counted in SQL: ``(received, ack_met, ack_decided, res_met,
        res_decided, open, overdue)``, each with handling score ``score``."""
        received, ack_met, ack_decided, res_met, res_decided, open_, overdue = (
            int(n or 0) for n in counts
        )
        self.received += received
        self.ack_met += ack_met
        self.ack_decided += ack_decided
        self.res_met += res_met
        self.res_decided += res_decided
        self.open += open_
        self.overdue += overdue
        if score is not None:
            self.handling.add(int(score), times=received)

    def add_micros(self, ack: int | None, res: int | None) -> None:
        """Times from receipt in whole microseconds, made hours as ``timedelta`` does."""
        if ack is not None:
            self.ack_hours.append(int(ack) / 1_000_000 / 3600)
        if res is not None:
            self.res_hours.append(int(res) / 1_000_000 / 3600)

    def result(self) -> CaseIndicators:
        return CaseIndicators(
            received=self.received,
            acknowledged_within_sla=self.ack_met,
            acknowledge_decided=self.ack_decided,
            share_acknowledged_within_sla=_share(self.ack_met, self.ack_decided),
            resolved_within_sla=self.res_met,
            resolve_decided=self.res_decided,
            share_resolved_within_sla=_share(self.res_met, self.res_decided),
            median_hours_to_acknowledge=_hours(
                statistics.median(self.ack_hours) if self.ack_hours else None
            ),
            p90_hours_to_acknowledge=_hours(percentile(self.ack_hours, 0.9)),
            median_hours_to_resolve=_hours(
                statistics.median(self.res_hours) if self.res_hours else None
            ),
            p90_hours_to_resolve=_hours(percentile(self.res_hours, 0.9)),
            open=self.open,
            overdue=self.overdue,
            handling_satisfaction=self.handling.result(),
            acknowledged=len(self.ack_hours),
            resolved=len(self.res_hours),
        )


@dataclass
class CellTally:
    """Times as the figures show them (hours to two places), counted: the median and the
    90th percentile of :class:`CaseTally`, exactly, from counts instead of every value
    (storage.day_counts explains why). ``middle`` names the two cells whose exact values
    an even count's median needs, when they differ."""

    cells: Counter[float] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return sum(self.cells.values())

    def _at(self, rank: int) -> float:
        seen = 0
        for value in sorted(self.cells):
            seen += self.cells[value]
            if seen >= rank:
                return value
        raise IndexError(rank)

    def p90(self) -> float | None:
        total = self.count
        return self._at(max(1, math.ceil(0.9 * total))) if total else None

    def middle(self) -> tuple[float, float] | None:
        """The cells of an even count's two middle values when they differ, else None."""
        total = self.count
        if not total or total % 2:
            return None
        low, high = self._at(total // 2), self._at(total // 2 + 1)
        return (low, high) if low != high else None

    def median(self, low: float | None = None, high: float | None = None) -> float | None:
        """The median as shown; ``low`` and ``high`` (hours): the exact middle values,
        when :meth:`middle` asked for them."""
        total = self.count
        if not total:
            return None
        if total % 2:
            return self._at((total + 1) // 2)
        if low is not None and high is not None:
            return _hours(statistics.median([low, high]))
        return self._at(total // 2)
