"""Small-cell suppression for published figures (SPEC §7), with complementary suppression.

Every count below :data:`THRESHOLD` is *primary* suppressed (published as ``<5``). A
total is then also suppressed (*complementary*, published as a mark) whenever the
suppressed cells under it could be worked out from it and the cells still shown:

- exactly one of its parts is suppressed (total minus the others gives it), or
- every suppressed part is a primary one and their known sum pins each of them down
  (a sum of 0 means all are 0; a sum of 4·k means all k are 4).

Totals are parts of further totals (a month's total is a part of the grand total), so
the rule runs until nothing changes. Zero is a count below 5 and is suppressed too.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum

THRESHOLD = 5


class Mark(StrEnum):
    SMALL = "<5"  # primary: the count is below the threshold
    HIDDEN = "suppressed"  # complementary: shown, it would reveal a small count


@dataclass(frozen=True)
class Constraint:
    total: Hashable
    parts: Sequence[Hashable]


def suppress(
    counts: dict[Hashable, int], constraints: Sequence[Constraint]
) -> dict[Hashable, int | Mark]:
    """The published value of every cell: the count, or why it is withheld."""
    shown: dict[Hashable, int | Mark] = {
        cell: Mark.SMALL if value < THRESHOLD else value for cell, value in counts.items()
    }
    changed = True
    while changed:
        changed = False
        for constraint in constraints:
            if isinstance(shown[constraint.total], Mark):
                continue
            hidden = [p for p in constraint.parts if isinstance(shown[p], Mark)]
            if not hidden:
                continue
            rest = sum(counts[p] for p in constraint.parts if p not in hidden)
            remainder = counts[constraint.total] - rest
            all_small = all(shown[p] is Mark.SMALL for p in hidden)
            pinned = all_small and remainder in (0, (THRESHOLD - 1) * len(hidden))
            if len(hidden) == 1 or pinned:
                shown[constraint.total] = Mark.HIDDEN
                changed = True
    return shown
