"""`make bench` at a toy size, so the harness cannot rot: every part runs, completes its
work and writes its results. Nothing here is timed; speed is for `make bench` to report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import api, bot
from bench.__main__ import api_table, main
from bench.processes import emulator
from tests.services import (
    create_postgres_database,
    drop_postgres_database,
    run_in_thread,
    sqlalchemy_url,
    unavailable,
)

# Whole bench runs with processes of their own (an emulator, bots, servers) and people
# waiting on them: slow (make check leaves them to make test), and run alone after the
# parallel run (a walk timed out next to a busy worker at a load average of 9).
pytestmark = [pytest.mark.slow, pytest.mark.serial]


def test_results_are_saved_with_machine_versions_and_commit(tmp_path: Path) -> None:
    report = main(["--only", "hash", "--hash-rounds", "2", "--out", str(tmp_path)])
    saved = json.loads(Path(report["path"]).read_text(encoding="utf-8"))
    assert saved["receipt_hash_ms"] > 0
    assert saved["commit"] and saved["machine"]["cores"] >= 1
    assert {"python", "aiogram", "sqlalchemy"} <= saved["versions"].keys()


async def test_both_bots_walk_whole_reports_with_a_photo(tmp_path: Path) -> None:
    runs = []
    with emulator(tmp_path / "emulator.log") as (base_url, _):
        for kind in ("echo", "holos"):
            runs.append(
                await bot.measure(
                    base_url,
                    kind,
                    latency_ms=20,
                    people=2,
                    think_s=0.0,
                    deadline_s=600,
                    workdir=tmp_path,
                    step_timeout=120,  # a busy machine is slow, not broken
                )
            )
    for run in runs:
        assert (run.steps_done, run.reports_completed) == (20, 2), run.summary()
        assert (run.steps_timed_out, run.steps_failed, run.errors_logged) == (0, 0, 0)
        assert run.p50_ms is not None and run.p50_ms >= 20  # the latency was applied
        assert run.cpu_ms_per_update is not None and run.peak_rss_mib
        assert run.messages_per_step is not None and run.messages > 0
    # One message a step, but for the welcome's: its privacy notice stays (issue 20).
    assert runs[1].bot == "holos" and runs[1].messages_per_step <= 1.1
    [row] = bot.table(runs)[2:]
    assert row.startswith("| 20 ms | 2 | none (ceiling) |")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_every_api_probe_answers_and_replays_raw(tmp_path: Path, engine: str) -> None:
    if engine == "sqlite":
        path = tmp_path / "api.db"
        url, raw, name = f"sqlite+aiosqlite:///{path}", str(path), None
    else:
        name, error = run_in_thread(create_postgres_database())
        if name is None:
            unavailable("PostgreSQL", error)
        url = sqlalchemy_url(name)
        raw = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        result = await api.bench_engine(
            engine,
            url,
            raw,
            cases=300,
            ratings=90,
            requests=1,
            budget_s=1,
            workdir=tmp_path,
            clients=1,
            deep_pages=2,
        )
    finally:
        if name is not None:
            run_in_thread(drop_postgres_database(name))
    probes = {p["name"]: p for p in result["probes"]}
    assert sorted(probes) == sorted(
        [
            "worklist",
            "filtered worklist",
            "deep cursor page",
            "search, rare word",
            "search, common word",
            "focal point's search",
            "lemma search, rare word",
            "lemma search, common word",
            "focal point's lemma search",
            "case detail",
            "PATCH",
        ]
    )
    for probe in probes.values():
        assert (probe["status"], probe["errors"]) == (200, 0), probe
        assert probe["statements"] > 0 and probe["raw_p50_ms"] is not None, probe
        assert probe["cpu_ms"] is not None, probe
    assert result["api_peak_rss_mib"]
    # Every case seeded was re-indexed (300 < the sample), at some rate.
    assert result["reindex"]["cases"] == 300 and result["reindex"]["cases_per_s"] > 0
    table = api_table([result])
    assert len(table) == 2 + len(probes) + 1 + 1 + 4  # + re-index line + search targets
    assert any("lemma search, rare word p95" in line for line in table)
