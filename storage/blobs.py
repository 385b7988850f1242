"""The blob store for attachment bytes (already encrypted by the caller).

Files live under ``<blob_dir>/ab/cd/<key>``: keys are random, so a path says nothing
about its case. Writes go to a temporary file first, so a crash leaves no half file.

A file's times are a timing trail (issue 18 §4): a staged file's nanosecond modification
time sits beside the minute of the case it joins and the moment its sender was seen. So
every file, and the folders a write touches, get the start of the (UTC) day as their
access and modification times, coarser than the minute the README's rule asks for.
What the kernel keeps by itself (the inode change time, and on some file systems the
birth time) cannot be set; the threat model says so.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from pathlib import Path

from storage.clock import DAY, Clock, floor_to

_KEY = re.compile(r"^[0-9a-f]{32}$")
# The precision of the times a blob file carries.
TIME_UNIT = DAY


class BlobNotFound(Exception):
    pass


class FileBlobStore:
    def __init__(self, root: Path, clock: Clock | None = None) -> None:
        self.root = root
        self.clock = clock or Clock()

    def _coarse_time(self) -> float:
        return floor_to(self.clock.now(), TIME_UNIT).timestamp()

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError("malformed blob key")
        return self.root / key[:2] / key[2:4] / key

    @staticmethod
    def new_key() -> str:
        return secrets.token_hex(16)

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put_sync, key, data)

    def _put_sync(self, key: str, data: bytes) -> None:
        path = self._path(key)
        # Every level owner-only (mkdir's mode applies to the last level alone).
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for directory in (path.parent.parent, path.parent):
            directory.mkdir(mode=0o700, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        # Owner-only from the first byte (not chmod afterwards): files hold encrypted cases.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        self._coarsen(path)

    def _coarsen(self, path: Path) -> None:
        """The file and the folders above it get the day, not the moment."""
        moment = self._coarse_time()
        for target in (path, path.parent, path.parent.parent, self.root):
            if target.exists():
                os.utime(target, (moment, moment))

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete_sync, key)

    def _delete_sync(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        self._coarsen(path)  # the folders' times, which the removal just set

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).exists)

    async def keys_older_than(self, timestamp: float) -> list[str]:
        """Keys of blobs certainly last written before ``timestamp`` (seconds since the
        epoch). A file's time is the start of its day, so it may have been written up to
        a day later: only files whose whole day lies before ``timestamp`` are returned."""
        return await asyncio.to_thread(self._keys_older_than, timestamp)

    def _keys_older_than(self, timestamp: float) -> list[str]:
        keys = []
        unit = TIME_UNIT.total_seconds()
        for path in self.root.glob("*/*/*"):
            try:
                if _KEY.match(path.name) and path.stat().st_mtime + unit <= timestamp:
                    keys.append(path.name)
            except FileNotFoundError:
                continue
        return keys
