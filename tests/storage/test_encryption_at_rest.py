"""What must be encrypted is not readable in the raw database; rotation keeps it readable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storage.clock import FrozenClock
from storage.core import Core, build_core
from storage.enums import ContactMode, Language
from storage.services.intake import ContactChoice, IntakeService
from storage.services.triage import TriageService
from tests.config import TEST_SECRET, make_settings
from tests.storage.helpers import Reporters, make_staff, submit

NARRATIVE = "Координатор вимагав хабар за включення до списку"
CONTACT = "olena.reporter@example.org"
NEW_SECRET = "rotated-secret-key-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789"


@pytest.fixture
def sqlite_core(tmp_path: Path, sqlite_template: Path, clock: FrozenClock) -> Core:
    # The raw file is inspected on SQLite; on PostgreSQL, the anonymity dump covers rows.
    shutil.copyfile(sqlite_template, tmp_path / "holos.db")
    return build_core(
        make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'holos.db'}"), clock=clock
    )


async def test_sensitive_narrative_and_contact_not_in_the_raw_file(
    sqlite_core: Core, tmp_path: Path
) -> None:
    core = sqlite_core
    await submit(
        core,
        category="fraud_corruption",
        narrative=NARRATIVE,
        contact=ContactChoice(ContactMode.TYPED, typed=CONTACT),
    )
    await core.close()  # checkpoint the WAL so the file holds everything
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("holos.db*") if p.is_file())
    assert NARRATIVE.encode() not in raw
    assert NARRATIVE.split()[0].encode() not in raw
    assert CONTACT.encode() not in raw
    assert b"olena.reporter" not in raw
    # While a standard narrative is plain on purpose: staff search it.
    core2 = build_core(core.settings, clock=core.clock)
    await submit(core2, narrative="Звичайна скарга про чергу")
    await core2.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("holos.db*") if p.is_file())
    assert "Звичайна скарга про чергу".encode() in raw


async def test_after_key_rotation_old_rows_still_decrypt_and_codes_still_work(
    tmp_path: Path, database_url: str, clock: FrozenClock
) -> None:
    old_core = build_core(make_settings(tmp_path, database_url), clock=clock)
    submitted = await submit(
        old_core,
        category="sexual_exploitation",
        narrative=NARRATIVE,
        contact=ContactChoice(ContactMode.TYPED, typed=CONTACT),
        language=Language.UK,
    )
    await old_core.close()

    rotated = build_core(
        make_settings(tmp_path, database_url, secret_key=NEW_SECRET, old_secret_keys=TEST_SECRET),
        clock=clock,
    )
    try:
        focal = await make_staff(rotated, "focal", "focal_point")
        async with rotated.database.transaction() as session:
            detail = await TriageService(session, rotated).detail(submitted.ref, focal)
        assert detail.narrative == NARRATIVE
        assert detail.contact == CONTACT
        async with rotated.database.transaction() as session:
            found = await IntakeService(session, rotated).lookup_receipt(
                submitted.receipt_code, misses=Reporters(rotated).misses("p")
            )
            assert found is not None
            # Re-hashed under the new key while the code was at hand.
            assert found.receipt_hash == rotated.crypto.receipt_hash(submitted.receipt_code)
    finally:
        await rotated.close()

    # Without the old key, the old content is unreadable: rotation is real.
    new_only = build_core(make_settings(tmp_path, database_url, secret_key=NEW_SECRET), clock=clock)
    try:
        from storage.crypto import DecryptionError

        focal_actor = focal
        async with new_only.database.transaction() as session:
            with pytest.raises(DecryptionError):
                await TriageService(session, new_only).detail(submitted.ref, focal_actor)
    finally:
        await new_only.close()
