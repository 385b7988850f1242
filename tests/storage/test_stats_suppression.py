"""Small-cell suppression: every count below 5 withheld, and no total that would let one
be worked out."""

from __future__ import annotations

from collections.abc import Hashable
from itertools import product

from storage.suppression import Constraint, Mark, suppress


def table(rows: dict[str, tuple[int, int]]) -> tuple[dict[Hashable, int], list[Constraint]]:
    """Rows of (a, b) with row totals, column totals and a grand total."""
    counts: dict[Hashable, int] = {}
    for name, (a, b) in rows.items():
        counts[(name, "a")], counts[(name, "b")], counts[(name, "t")] = a, b, a + b
    for column in ("a", "b", "t"):
        counts[("all", column)] = sum(counts[(name, column)] for name in rows)
    constraints = [
        Constraint((name, "t"), [(name, "a"), (name, "b")]) for name in [*rows, "all"]
    ] + [Constraint(("all", c), [(name, c) for name in rows]) for c in ("a", "b", "t")]
    return counts, constraints


def test_a_group_of_four_is_withheld_and_so_is_every_total_that_gives_it_away() -> None:
    counts, constraints = table({"oct": (6, 1), "nov": (4, 6)})
    shown = suppress(counts, constraints)
    assert shown[("oct", "b")] is Mark.SMALL
    assert shown[("nov", "a")] is Mark.SMALL
    assert shown[("oct", "t")] is Mark.HIDDEN  # 7 - 6 would give 1
    assert shown[("nov", "t")] is Mark.HIDDEN  # 10 - 6 would give 4
    assert shown[("all", "a")] is Mark.HIDDEN  # 10 - 6 would give 4
    assert shown[("all", "b")] is Mark.HIDDEN  # 7 - 6 would give 1
    assert shown[("all", "t")] is Mark.HIDDEN  # 17 - 12 would give Oct b + Nov a = 5
    assert shown[("oct", "a")] == 6 and shown[("nov", "b")] == 6


def test_no_withheld_count_can_be_recomputed() -> None:
    """Brute force over two-row tables with counts 0..7: for each withheld count, more
    than one value agrees with everything shown."""
    for a1, b1, a2, b2 in product(range(8), range(0, 8, 3), range(0, 8, 2), range(8)):
        counts, constraints = table({"x": (a1, b1), "y": (a2, b2)})
        shown = suppress(counts, constraints)
        for cell, value in counts.items():
            assert (shown[cell] is Mark.SMALL) == (value < 5), cell
        small = [c for c in counts if c[0] != "all" and c[1] != "t" and shown[c] is Mark.SMALL]
        options: dict[Hashable, set[int]] = {c: set() for c in small}
        for values in product(range(5), repeat=len(small)):
            trial = {**counts, **dict(zip(small, values, strict=True))}
            for name in ("x", "y"):
                trial[(name, "t")] = trial[(name, "a")] + trial[(name, "b")]
            for column in ("a", "b", "t"):
                trial[("all", column)] = trial[("x", column)] + trial[("y", column)]
            if all(isinstance(shown[c], Mark) or trial[c] == shown[c] for c in counts):
                for cell, v in zip(small, values, strict=True):
                    options[cell].add(v)
        for cell in small:
            assert len(options[cell]) > 1, (cell, counts, shown)
        # A table with nothing small shows everything.
        if not small:
            assert not any(isinstance(v, Mark) for v in shown.values())
