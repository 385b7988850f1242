"""Small-cell suppression for published figures (SPEC §7), with complementary suppression.

Every count below :data:`THRESHOLD` is *primary* suppressed (published as ``<5``). A
total is *complementary* suppressed (published as a mark) whenever any cell under it is
withheld, and that runs until nothing changes (a month's total is itself under the grand
total). So every total still shown is the sum of cells still shown: it tells nothing
about a withheld one, whatever combination of totals a reader subtracts. (Weaker rules,
such as "only when exactly one part is withheld", leak through combinations of totals:
the tests try every small table.) Zero is a count below 5 and is withheld too.
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
            if any(isinstance(shown[part], Mark) for part in constraint.parts):
                shown[constraint.total] = Mark.HIDDEN
                changed = True
    return shown
