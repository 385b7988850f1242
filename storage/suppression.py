"""Small-cell suppression for published figures (no count below 5), with complementary suppression.

Every count below :data:`THRESHOLD` is *primary* suppressed (published as ``<5``). A
total is *complementary* suppressed (published as a mark) whenever any cell under it is
withheld, and that runs until nothing changes (a month's total is itself under the grand
total). So every total still shown is the sum of cells still shown: it tells nothing
about a withheld one, whatever combination of totals a reader subtracts. (Weaker rules,
such as "only when exactly one part is withheld", leak through combinations of totals:
the tests try every small table.) Zero is a count below 5 and is withheld too.

Shares and means (issue 18): a figure computed over cases is as revealing as the count
of those cases. A share over two groups, one of them withheld, has only a few possible
denominators, and four decimals pick one (0.7391 is 17/23 and nothing else near 20).
So a share is published only over a base that is itself published (never over a
withheld cell or a total that hides one) and holds at least :data:`SHARE_BASE` cases,
to whole percent (:func:`share`); a mean only over a published count (:func:`mean`).
Breakdowns whose total is published keep it adding up by pooling their small rows
(:func:`pool`), never in a way that pins a pooled row.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum

THRESHOLD = 5
SHARE_BASE = 10


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


def shown(value: int | Mark) -> int | None:
    """The published count, or None when it is withheld."""
    return None if isinstance(value, Mark) else value


def share(part: int, base: int | Mark | None) -> float | None:
    """``part`` of a published ``base``, to whole percent (as a fraction: 0.74); None
    when the base is withheld, unknown or below :data:`SHARE_BASE`. Rounded half up in
    integers, so no float representation decides a published figure."""
    if base is None or isinstance(base, Mark) or base < SHARE_BASE:
        return None
    return ((200 * part + base) // (2 * base)) / 100


def mean(total: int, count: int | Mark | None, digits: int = 1) -> float | None:
    """``total / count`` when the count is published (so at least 5), else None."""
    if count is None or isinstance(count, Mark) or count < THRESHOLD:
        return None
    return round(total / count, digits)


@dataclass(frozen=True)
class Pooled:
    """A breakdown as published: rows of :data:`THRESHOLD` or more shown, the rest in
    one pooled row (``pooled`` names its members, alphabetically; ``other`` is their sum)."""

    kept: dict[str, int]
    pooled: list[str]
    other: int


def pool(values: dict[str, int], tiebreak: Callable[[str], bytes] | None = None) -> Pooled | None:
    """The rows of a breakdown whose total is published, made safe to show.

    A key with no case is not a row. Rows below 5 are pooled with the smallest row of
    5 or more, so the pooled row's sum (which the total gives away anyway) never pins a
    member: a reader cannot tell which member was topped up, and so which ones are the
    small ones. Among equally small rows the one topped up is picked by ``tiebreak``, a
    keyed hash the reader cannot compute (a rule the reader could follow, such as
    alphabetical order, would tell them). Members are named alphabetically, never by
    size. None when no row reaches 5: nothing can be topped up, so the caller must
    withhold the total itself (tests/storage/test_stats_suppression.py tries every
    small breakdown against every tie-break).
    """
    rows = {k: v for k, v in values.items() if v > 0}
    small = [k for k, v in rows.items() if v < THRESHOLD]
    kept = {k: v for k, v in rows.items() if v >= THRESHOLD}
    if not small:
        return Pooled(dict(sorted(kept.items())), [], 0)
    if not kept:
        return None
    order = tiebreak or (lambda key: key.encode())
    topped = min(kept, key=lambda k: (kept[k], order(k)))
    members = sorted([*small, topped])
    del kept[topped]
    return Pooled(dict(sorted(kept.items())), members, sum(rows[k] for k in members))
