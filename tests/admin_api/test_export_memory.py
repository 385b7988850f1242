"""The export streams: 100,000 cases go out while the process grows by less than a fixed
bound. Holding them all at once would take a few hundred megabytes; the streamed export
reads 1,000 at a time.

The rows are seeded in bulk on SQLite only, without narratives (each would feed the
full-text index, the slow part of a bulk insert): what is measured is our streaming, not
the engine. How long it takes is for `make bench`, not for here.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.admin_api.helpers import Api

ROWS = 100_000
BOUND_MB = 60


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1024 / 1024


def seed_bulk(database_url: str) -> None:
    """100,000 cases straight through the driver: SQLAlchemy's per-row work would take
    longer than the export under test."""
    path = database_url.removeprefix("sqlite+aiosqlite:///")
    start = datetime(2026, 1, 1)
    stamp = "%Y-%m-%d %H:%M:%S.%f"

    def row(i: int) -> tuple[object, ...]:
        at = start + timedelta(minutes=5 * i)
        return (
            f"HL-2026-{i:06d}",
            f"{i:064x}",
            at.strftime(stamp),
            (at + timedelta(hours=72)).strftime(stamp),
            (at + timedelta(days=30)).strftime(stamp),
        )

    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.executemany(
            "INSERT INTO cases (ref, receipt_hash, category, sensitive, priority, status, "
            "oblast, programme, language, channel, contact_mode, created_at, updated_at, "
            "public_updated_at, acknowledge_due_at, resolve_due_at, version) VALUES "
            "(?, ?, 'assistance_quality', 0, 'normal', 'new', 'UA-63', 'food', 'uk', "
            "'telegram', 'anonymous', ?3, ?3, ?3, ?4, ?5, 1)",
            (row(i) for i in range(ROWS)),
        )


@pytest.mark.slow  # 100,000 rows
@pytest.mark.real_http  # the ASGI client would buffer the whole answer
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_year_of_cases_streams_in_bounded_memory(api: Api, database_url: str) -> None:
    await api.add_staff("operator", "operator")
    seed_bulk(database_url)
    params = {"from": "2026-01-01", "to": "2026-12-31", "format": "csv"}
    # Warm up (imports, caches, the first batch's statement) before the baseline.
    await api.call("GET", "/api/v1/export", "operator", params={**params, "to": "2026-01-01"})
    baseline = peak = rss_mb()
    lines = 0
    async with api.http.stream(
        "GET", "/api/v1/export", params=params, headers=api.headers("operator")
    ) as response:
        assert response.status_code == 200
        async for chunk in response.aiter_bytes():
            lines += chunk.count(b"\n")
            peak = max(peak, rss_mb())
    assert lines == ROWS + 1  # the header row too
    assert peak - baseline < BOUND_MB, f"grew by {peak - baseline:.0f} MB"
