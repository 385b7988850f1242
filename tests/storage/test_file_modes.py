"""The data directory is the owner's alone, and deleted rows do not linger in the file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.core import Core
from storage.enums import AttachmentKind
from storage.services.attachments import AttachmentService


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_blobs_are_owner_only(core: Core) -> None:
    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="text/plain", data=b"a list", filename="a.txt"
    )
    blob = core.blobs._path(staged.blob_key)
    assert _mode(blob) == 0o600
    assert {_mode(d) for d in (blob.parent, blob.parent.parent, core.blobs.root)} == {0o700}


# SQLite only: PostgreSQL's files belong to its server; the equivalent there is the
# VACUUM after a purge (tests/storage/test_retention.py).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_files_are_owner_only_and_deletes_are_secure(core: Core) -> None:
    async with core.database.transaction() as session:
        assert (await session.execute(text("PRAGMA secure_delete"))).scalar() == 1
    database = Path(core.settings.database_url.split("///", 1)[1])
    assert _mode(database) == 0o600
