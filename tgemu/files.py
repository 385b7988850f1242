"""Files held by the emulator: what users send, what the bot uploads, and what getFile serves."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from dataclasses import dataclass, field

# Telegram lets bots download files of at most 20 MB through getFile.
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A multipart file part received from the bot."""

    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # photos, documents, voice, ... (Telegram's file_path folder)
    size: int
    data: bytes | None  # None when only a size was declared (simulated huge files)
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "audio/ogg": "oga",
    "audio/mpeg": "mp3",
    "video/mp4": "mp4",
    "application/pdf": "pdf",
}


# Types a browser may show in an <img> on the chat page. Never SVG: it runs scripts.
_INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


def served_as(stored: StoredFile) -> tuple[str, dict[str, str]]:
    """The Content-Type and headers a stored file is served with.

    Files come from whoever uses the emulator, and in the sandbox the emulator is
    mounted on the staff console's origin: a file labelled ``text/html`` served as such
    would run its scripts there, with the console's cookies. So only pictures keep their
    type (the chat page shows them); everything else is ``application/octet-stream``, a
    download; nothing may be sniffed into something else, and a policy with ``sandbox``
    gives even a picture opened on its own no origin and no script.
    """
    inline = stored.mime_type in _INLINE_TYPES
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Disposition": "inline" if inline else "attachment",
        "Cache-Control": "no-store",
    }
    return (
        stored.mime_type if inline and stored.mime_type else "application/octet-stream"
    ), headers


class FileStore:
    """Per-bot file registry: a file_id from one bot is unknown to another, as in Telegram."""

    def __init__(self, bot_id: int) -> None:
        self._bot_id = bot_id
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def add(
        self,
        data: bytes | None,
        *,
        kind: str,
        size: int | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._counter)
        digest = hashlib.sha256(data or secrets.token_bytes(16)).hexdigest()[:16]
        stored = StoredFile(
            file_id=f"EMU{self._bot_id}_{kind[:3]}_{number}_{secrets.token_urlsafe(12)}",
            file_unique_id=f"U{digest}",
            kind=kind,
            size=len(data) if data is not None else int(size or 0),
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._by_id[stored.file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def assign_path(self, stored: StoredFile) -> str:
        """Give a file its download path on first getFile, as Telegram does."""
        if stored.file_path is None:
            ext = _EXTENSIONS.get(stored.mime_type or "", "")
            if not ext and stored.file_name and "." in stored.file_name:
                ext = stored.file_name.rsplit(".", 1)[1]
            name = f"file_{len(self._by_path)}" + (f".{ext}" if ext else "")
            stored.file_path = f"{stored.kind}/{name}"
            self._by_path[stored.file_path] = stored
        return stored.file_path

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)
