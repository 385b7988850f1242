"""`bench/stats.py` at a toy size, so the statistics line cannot rot (nothing timed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import stats
from tests.services import (
    create_postgres_database,
    drop_postgres_database,
    run_in_thread,
    sqlalchemy_url,
    unavailable,
)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_the_stats_line_measures_a_report_and_the_dashboard(
    tmp_path: Path, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = None
    if engine == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'stats.db'}"
    else:
        name, error = run_in_thread(create_postgres_database())
        if name is None:
            unavailable("PostgreSQL", error)
        url = sqlalchemy_url(name)
    try:
        result = await stats.bench_stats(engine, url, cases=300, ratings=60, workdir=tmp_path)
        again = await stats.on_seeded(result, url, tmp_path)
    finally:
        if name is not None:
            run_in_thread(drop_postgres_database(name))
    assert result["report_s"] > 0 and result["dashboard_s"] > 0
    assert result["report_cases_s"] > 0 and result["dashboard_cases_s"] > 0
    assert set(again) == {  # no failure reported
        "rebuild_s",
        "report_s",
        "dashboard_s",
        "report_cases_s",
        "dashboard_cases_s",
        "load",
    }
    line = stats.line(result)
    assert f"{engine}: stats over 300 cases, 60 ratings, from the daily counts" in line
    assert "one 365-day report" in line and "counted from the cases" in line
    assert "one 365-day report" in capsys.readouterr().out


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_the_point_line_reads_a_points_results_both_ways(tmp_path: Path, engine: str) -> None:
    """``--point-responses``: a point's results from the rows and from the days, the same
    figures both ways (the bench says when they differ)."""
    name = None
    if engine == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'point.db'}"
    else:
        name, error = run_in_thread(create_postgres_database())
        if name is None:
            unavailable("PostgreSQL", error)
        url = sqlalchemy_url(name)
    try:
        result = await stats.bench_point(engine, url, responses=300, ratings=60, workdir=tmp_path)
    finally:
        if name is not None:
            run_in_thread(drop_postgres_database(name))
    assert result["same"] is True
    assert result["analyst_rows_s"] > 0 and result["focal_days_s"] > 0
    line = stats.point_line(result)
    assert f"{engine}: a point's year, 300 responses and 60 ratings" in line
    assert "DIFFER" not in line
