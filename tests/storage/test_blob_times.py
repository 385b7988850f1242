"""Issue 18 §4: blob files carry no time finer than their day, and the sweep of abandoned
files still never takes a file a live draft holds."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import AttachmentKind
from storage.services.attachments import AttachmentService
from storage.services.retention import RetentionService
from tgemu import samples


def times(path: os.PathLike[str] | str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_atime_ns, status.st_mtime_ns


async def test_a_blob_and_its_folders_carry_only_the_day(core: Core, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 4, 17, 42, 31, 123456, tzinfo=UTC))
    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="application/pdf", data=samples.pdf("a list")
    )
    path = core.blobs.root / staged.blob_key[:2] / staged.blob_key[2:4] / staged.blob_key
    day = int(datetime(2026, 3, 4, tzinfo=UTC).timestamp()) * 10**9
    for target in (path, path.parent, path.parent.parent, core.blobs.root):
        assert times(target) == (day, day), target
    # Removing a file does not stamp its folder with the moment either.
    clock.advance(timedelta(days=40, minutes=7))
    await core.blobs.delete(staged.blob_key)
    later = int(datetime(2026, 4, 13, tzinfo=UTC).timestamp()) * 10**9
    assert times(path.parent) == (later, later)


async def test_a_file_in_a_live_draft_is_never_swept(core: Core, clock: FrozenClock) -> None:
    # Staged a minute before midnight, its file says 00:00 of that day; the draft lives
    # on for a day after its last use, and so does the file.
    clock.set(datetime(2026, 3, 4, 23, 59, tzinfo=UTC))
    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT, mime_type="application/pdf", data=samples.pdf("kept")
    )
    for hours in (2, 24, 25):
        clock.set(datetime(2026, 3, 4, 23, 59, tzinfo=UTC) + timedelta(hours=hours))
        async with core.database.transaction() as session:
            report = await RetentionService(session, core).purge()
        assert report.orphan_files == 0
        assert await core.blobs.exists(staged.blob_key)
    clock.set(datetime(2026, 3, 7, 1, 0, tzinfo=UTC))
    async with core.database.transaction() as session:
        report = await RetentionService(session, core).purge()
    assert report.orphan_files == 1
    assert not await core.blobs.exists(staged.blob_key)
