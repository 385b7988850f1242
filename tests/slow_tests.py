"""The tests measured to take a second or more, which ``make check`` leaves to ``make test``.

The list (tests/slow_tests.txt) is written from a JUnit report of the edit loop's own
selection, on the two-core machine:

    .venv/bin/pytest -n 2 --dist worksteal -m "not serial and not slow and not postgresql" \\
        --junitxml=/tmp/check.xml
    .venv/bin/python -m tests.slow_tests /tmp/check.xml

A test missing from the list is simply run by ``make check`` until the list is written
again; an entry whose test was renamed or removed matches nothing.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

LIST = Path(__file__).with_name("slow_tests.txt")
# A second of wall time with both workers busy: the edit loop keeps what is quicker.
THRESHOLD_S = 1.0


def measured_slow() -> frozenset[str]:
    """Node ids in the list (comment lines and blank lines aside)."""
    if not LIST.exists():
        return frozenset()
    lines = (line.strip() for line in LIST.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def node_id(classname: str, name: str) -> str:
    """A JUnit test case's pytest node id: ``tests.a.test_b`` + ``test_c[x]`` is
    ``tests/a/test_b.py::test_c[x]`` (a class, when there is one, stays after ``::``)."""
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        path = Path(*parts[:cut]).with_suffix(".py")
        if (Path(__file__).parent.parent / path).exists():
            return "::".join([path.as_posix(), *parts[cut:], name])
    raise ValueError(f"no test file for {classname}")


def slow_in(report: Path, threshold: float = THRESHOLD_S) -> list[str]:
    cases = ET.parse(report).iter("testcase")
    return sorted(
        node_id(case.get("classname", ""), case.get("name", ""))
        for case in cases
        if float(case.get("time", "0")) >= threshold
    )


def write(report: Path) -> None:
    found = slow_in(report)
    header = [
        "# Tests measured at a second or more (tests/slow_tests.py says how to write this",
        "# file again): marked `slow`, so `make check` leaves them to `make test`.",
    ]
    LIST.write_text("\n".join([*header, *found]) + "\n", encoding="utf-8")
    print(f"{len(found)} tests of a second or more written to {LIST}")


if __name__ == "__main__":
    write(Path(sys.argv[1]))
