"""Small-cell suppression: every count below 5 withheld, and no total that would let one
be worked out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from itertools import permutations, product

import pytest

from storage.suppression import (
    THRESHOLD,
    Constraint,
    Mark,
    Pooled,
    mean,
    pool,
    share,
    suppress,
)


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


def published_breakdown(
    values: dict[str, int], tiebreak: tuple[str, ...]
) -> tuple[tuple[object, ...], set[str]]:
    """What a reader sees of a breakdown (and of its total), and which rows it withholds.
    When no row reaches 5 the total is withheld and no row is shown."""
    total = sum(values.values())
    if total < THRESHOLD:
        return ("total <5",), {k for k, v in values.items() if v}
    pooled = pool(values, lambda key: bytes([tiebreak.index(key)]))
    if pooled is None:
        return ("total withheld",), {k for k, v in values.items() if v}
    output = (tuple(pooled.kept.items()), tuple(pooled.pooled), pooled.other)
    return output, set(pooled.pooled)


@pytest.mark.parametrize(("keys", "most"), [(2, 14), (3, 12), (4, 8)])
def test_no_pooled_row_can_be_worked_out(keys: int, most: int) -> None:
    """Every breakdown of ``keys`` rows holding 0..``most`` each, under every tie-break
    order (the reader does not know the key that orders ties): the worlds that publish
    the same thing (kept rows, pool members, pool sum, and so the total) give every
    withheld row at least two values. The reader knows the rule; this is exactly what
    it lets them tell apart."""
    names = "abcde"[:keys]
    worlds: dict[tuple[object, ...], list[dict[str, int]]] = defaultdict(list)
    withheld: dict[tuple[object, ...], set[str]] = {}
    for counts in product(range(most + 1), repeat=keys):
        values = dict(zip(names, counts, strict=True))
        for order in permutations(names):
            output, hidden = published_breakdown(values, order)
            worlds[output].append(values)
            withheld[output] = hidden
    pools = 0
    for output, same in worlds.items():
        for key in withheld[output]:
            pools += 1
            options = {world[key] for world in same}
            assert len(options) > 1, (key, output, options)
    assert pools


def test_pooling_tops_up_the_smallest_row_and_names_members_alphabetically() -> None:
    assert pool({"a": 9, "b": 7, "c": 6}) == Pooled({"a": 9, "b": 7, "c": 6}, [], 0)
    assert pool({"a": 9, "b": 7, "c": 6, "d": 1}) == Pooled({"a": 9, "b": 7}, ["c", "d"], 7)
    assert pool({"a": 20, "b": 3, "c": 2, "d": 0}) == Pooled({}, ["a", "b", "c"], 25)
    assert pool({"a": 2, "b": 1}) is None  # no row to top up: the total must go
    first = pool({"a": 5, "b": 5, "c": 1}, lambda k: b"\x01" if k == "a" else b"\x00")
    second = pool({"a": 5, "b": 5, "c": 1}, lambda k: b"\x00" if k == "a" else b"\x01")
    assert first is not None and first.pooled == ["b", "c"]
    assert second is not None and second.pooled == ["a", "c"]


def test_shares_and_means_only_over_published_bases() -> None:
    assert share(17, 23) == 0.74
    assert share(1, 8) is None  # a base below 10
    assert share(3, Mark.SMALL) is None and share(3, Mark.HIDDEN) is None
    assert share(1, 200) == 0.01 and share(3, 200) == 0.02  # 1.5 % rounds half up
    assert share(10, 10) == 1.0
    assert mean(17, 5) == 3.4 and mean(17, 4) is None and mean(9, Mark.SMALL) is None
