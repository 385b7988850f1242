"""10,000 receipt codes: unique, 16 digits, and none can be read back from the database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storage.clock import FrozenClock
from storage.core import Core, build_core
from storage.services.cases import CaseService
from tests.conftest import make_settings
from tests.storage.helpers import dump_rows, dump_text, report

COUNT = 10_000
CODE_LIKE = re.compile(r"\d{4}[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{4}|\d{16,}")


def digit_windows(text: str) -> set[str]:
    """Every 16-digit sequence in ``text``, plain or grouped as a receipt is shown."""
    windows: set[str] = set()
    for run in CODE_LIKE.findall(text):
        digits = re.sub(r"\D", "", run)
        windows.update(digits[i : i + 16] for i in range(len(digits) - 15))
    return windows


@pytest.fixture
async def cheap_core(tmp_path: Path, database_url: str, clock: FrozenClock) -> Core:
    # Argon2id at its real cost (≈15 ms) would make 10,000 submissions take minutes; the
    # property tested here does not depend on the cost, which `make bench` measures.
    settings = make_settings(
        tmp_path, database_url, receipt_hash_time_cost=1, receipt_hash_memory_kib=64
    )
    core = build_core(settings, clock=clock)
    yield core
    await core.close()


async def test_ten_thousand_codes_unique_and_unreadable(cheap_core: Core) -> None:
    codes: list[str] = []
    async with cheap_core.database.transaction() as session:
        service = CaseService(session, cheap_core)
        for _ in range(COUNT):
            codes.append((await service.submit(report())).receipt_code)
    assert len(set(codes)) == COUNT
    assert all(len(c) == 16 and c.isdigit() for c in codes)

    stored = dump_text(await dump_rows(cheap_core))
    assert len(stored) > COUNT * 64  # the dump really holds the 10,000 cases
    leaked = set(codes) & digit_windows(stored)
    assert leaked == set()

    # Every one is still found, which proves the hashes really are the codes' hashes.
    async with cheap_core.database.transaction() as session:
        service = CaseService(session, cheap_core)
        for code in codes[:: COUNT // 50]:
            assert await service.lookup_receipt(code, pseudonym="test") is not None
