"""A thousand receipt codes: unique, 16 digits, and none can be read back from the database.

1,000 per engine (it was 10,000): neither property depends on the count, and 10,000 cost
minutes of the suite's budget on two cores."""

from __future__ import annotations

import re

import pytest

from storage.core import Core
from storage.services.intake import IntakeService
from tests.storage.helpers import Reporters, dump_rows, dump_text, report

COUNT = 1_000
CODE_LIKE = re.compile(r"\d{4}[ \-]?\d{4}[ \-]?\d{4}[ \-]?\d{4}|\d{16,}")


def digit_windows(text: str) -> set[str]:
    """Every 16-digit sequence in ``text``, plain or grouped as a receipt is shown."""
    windows: set[str] = set()
    for run in CODE_LIKE.findall(text):
        digits = re.sub(r"\D", "", run)
        windows.update(digits[i : i + 16] for i in range(len(digits) - 15))
    return windows


@pytest.mark.slow  # a thousand Argon2 hashes
async def test_a_thousand_codes_unique_and_unreadable(core: Core) -> None:
    codes: list[str] = []
    async with core.database.transaction() as session:
        service = IntakeService(session, core)
        for _ in range(COUNT):
            codes.append((await service.submit(report())).receipt_code)
    assert len(set(codes)) == COUNT
    assert all(len(c) == 16 and c.isdigit() for c in codes)

    stored = dump_text(await dump_rows(core))
    assert len(stored) > COUNT * 64  # the dump really holds all the cases
    leaked = set(codes) & digit_windows(stored)
    assert leaked == set()

    # Every one is still found, which proves the hashes really are the codes' hashes.
    async with core.database.transaction() as session:
        service = IntakeService(session, core)
        for code in codes[:: COUNT // 50]:
            assert (
                await service.lookup_receipt(code, misses=Reporters(core).misses("test"))
                is not None
            )
