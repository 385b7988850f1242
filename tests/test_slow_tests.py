"""The measured list of slow tests (tests/slow_tests.py): read from a JUnit report, and
every entry names a test file that exists."""

from __future__ import annotations

from pathlib import Path

from tests.slow_tests import LIST, measured_slow, node_id, slow_in

ROOT = Path(__file__).parent.parent


def test_junit_names_become_node_ids() -> None:
    assert (
        node_id("tests.handlers.test_report", "test_sensitive_reports[uk-fraud]")
        == "tests/handlers/test_report.py::test_sensitive_reports[uk-fraud]"
    )
    assert (
        node_id("tests.test_architecture.TestLayers", "test_one")
        == "tests/test_architecture.py::TestLayers::test_one"
    )


def test_a_report_gives_the_tests_at_the_threshold_and_over(tmp_path: Path) -> None:
    report = tmp_path / "check.xml"
    report.write_text(
        "<testsuites><testsuite>"
        '<testcase classname="tests.handlers.test_report" name="test_quick" time="0.4"/>'
        '<testcase classname="tests.handlers.test_report" name="test_long" time="2.5"/>'
        '<testcase classname="tests.test_architecture" name="test_edge" time="1.0"/>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    assert slow_in(report) == [
        "tests/handlers/test_report.py::test_long",
        "tests/test_architecture.py::test_edge",
    ]


def test_every_listed_test_is_in_a_file_that_exists() -> None:
    listed = measured_slow()
    assert LIST.exists() and len(listed) > 10
    missing = {n for n in listed if not (ROOT / n.split("::")[0]).exists()}
    assert missing == set()
