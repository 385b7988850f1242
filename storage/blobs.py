"""The blob store for attachment bytes (already encrypted by the caller).

Files live under ``<blob_dir>/ab/cd/<key>``: keys are random, so a path says nothing
about its case. Writes go to a temporary file first, so a crash leaves no half file.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from pathlib import Path

_KEY = re.compile(r"^[0-9a-f]{32}$")


class BlobNotFound(Exception):
    pass


class FileBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

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

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).exists)

    async def keys_older_than(self, timestamp: float) -> list[str]:
        """Keys of blobs last written before ``timestamp`` (seconds since the epoch)."""
        return await asyncio.to_thread(self._keys_older_than, timestamp)

    def _keys_older_than(self, timestamp: float) -> list[str]:
        keys = []
        for path in self.root.glob("*/*/*"):
            try:
                if _KEY.match(path.name) and path.stat().st_mtime < timestamp:
                    keys.append(path.name)
            except FileNotFoundError:
                continue
        return keys
