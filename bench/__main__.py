"""`make bench`: the numbers the specification sets targets for, measured here.

- receipt-code hash (SPEC §4): Argon2id tuned to about 10–20 ms per hash on this machine;
- intake: reports stored per second on the embedded SQLite default.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from storage.core import build_core
from storage.crypto import Crypto, generate_receipt_code
from storage.enums import Language
from storage.migrate import migrate_url
from storage.services.cases import CaseService, ReportSubmission
from storage.settings import Settings

HASH_TARGET_MS = (10.0, 20.0)


def bench_receipt_hash(rounds: int = 60) -> float:
    defaults = Settings(_env_file=None)
    crypto = Crypto(
        [b"b" * 48],
        receipt_time_cost=defaults.receipt_hash_time_cost,
        receipt_memory_kib=defaults.receipt_hash_memory_kib,
    )
    timings = []
    for _ in range(rounds):
        code = generate_receipt_code()
        start = time.perf_counter()
        crypto.receipt_hash(code)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


async def bench_intake(reports: int = 300) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await migrate_url(url)
        settings = Settings(
            _env_file=None, data_dir=Path(tmp), database_url=url, secret_key=SecretStr("s" * 48)
        )
        core = build_core(settings)
        start = time.perf_counter()
        for i in range(reports):
            async with core.database.transaction() as session:
                await CaseService(session, core).submit(
                    ReportSubmission(
                        category="assistance_quality",
                        language=Language.UK,
                        oblast="UA-63",
                        narrative=f"Звернення номер {i}: видали неповний набір.",
                    )
                )
        elapsed = time.perf_counter() - start
        await core.close()
    return reports / elapsed


def main() -> int:
    hash_ms = bench_receipt_hash()
    low, high = HASH_TARGET_MS
    verdict = "within" if low <= hash_ms <= high else "OUTSIDE"
    print(
        f"receipt hash (Argon2id, production cost): {hash_ms:.1f} ms median; target {low:.0f}–{high:.0f} ms: {verdict}"
    )
    rate = asyncio.run(bench_intake())
    print(f"intake on SQLite: {rate:.0f} reports/s (one transaction per report, hash included)")
    return 0 if verdict == "within" else 1


if __name__ == "__main__":
    sys.exit(main())
