"""Attachments: checked, cleaned and encrypted the moment they arrive.

The bot stages each file while the reporter is still writing (so a wrong file gets an
answer at once); submitting the report, or an addition, links the staged blobs.

The reporter's file name is never kept (it can name them: "skarha_Petrenko.pdf"); it is
only looked at, on arrival, to refuse a program by its extension. What staff download is
named after the detected type and the file's place in the case (``document-3.pdf``).
A document's text (what a PDF's pages or an office file say) is kept beside it, sealed
and searchable like the case's own text.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, fields
from typing import Any

from storage.clock import MINUTE, floor_to
from storage.core import Core
from storage.enums import AttachmentKind
from storage.errors import AttachmentTooLarge, UnsupportedAttachment
from storage.media import MediaRefused, Refusal
from storage.media.workers import MediaWorkers, WorkerLimits, shared_workers
from storage.models import Attachment
from storage.sealed import Context, Sealer
from storage.settings import Settings

# Names Windows (or a browser) would run, whatever the bytes turn out to be.
EXECUTABLE_EXTENSIONS = frozenset(
    {
        "exe", "com", "scr", "pif", "bat", "cmd", "msi", "msp", "msc", "dll", "cpl", "lnk",
        "hta", "htm", "html", "xhtml", "mht", "mhtml", "svg", "js", "jse", "vbs", "vbe",
        "wsf", "wsh", "ps1", "psm1", "reg", "inf", "jar", "apk", "sh", "py", "url", "iso",
        "img", "vhd", "vhdx", "appx", "msix", "application", "gadget", "chm", "scf", "xll",
        "docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "ppam", "sldm",
    }
)  # fmt: skip


def media_workers(settings: Settings) -> MediaWorkers:
    """The process's decoding workers (started at the bot's start, or on first use)."""
    return shared_workers(
        settings.media_workers,
        WorkerLimits(
            memory_mb=settings.media_worker_memory_mb,
            cpu_seconds=settings.media_worker_cpu_seconds,
        ),
    )


# The extension staff's computers open a stored file with: from its (rebuilt) type only.
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg": "ogg",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def served_name(kind: str, mime_type: str, position: int, *, rebuilt: bool = True) -> str:
    """``document-3.pdf``: what the file is and where it is in the case, nothing else. A
    document stored before issue 18 (cleaned, not rebuilt) gets ``.bin``: nothing opens
    it on its own until ``holos files rebuild`` has made it anew."""
    if kind == AttachmentKind.DOCUMENT and not rebuilt:
        return f"{kind}-{position}.bin"
    return f"{kind}-{position}.{_EXTENSIONS.get(mime_type, 'bin')}"


def served_type(mime_type: str, *, kind: str = "", rebuilt: bool = True) -> str:
    """The Content-Type a stored file is served with: its own when it is one Holos makes
    (text always as UTF-8), ``application/octet-stream`` for anything else, and for a
    document not rebuilt yet."""
    if mime_type not in _EXTENSIONS or (kind == AttachmentKind.DOCUMENT and not rebuilt):
        return "application/octet-stream"
    return "text/plain; charset=utf-8" if mime_type == "text/plain" else mime_type


SERVED_TYPES = sorted({served_type(m) for m in _EXTENSIONS} | {"application/octet-stream"})


def executable_name(filename: str | None) -> bool:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip().rstrip(". ").lower()
    return "." in name and name.rsplit(".", 1)[1] in EXECUTABLE_EXTENSIONS


@dataclass(frozen=True)
class StagedAttachment:
    """A file already cleaned, encrypted and stored, waiting to be linked to a case."""

    blob_key: str
    kind: str
    mime_type: str
    size_bytes: int
    metadata_stripped: bool
    # The document's words, inside the (encrypted) draft until the case is stored.
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StagedAttachment:
        # Drafts from before issue 18 carry the reporter's file name: it is dropped here.
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


class AttachmentService:
    def __init__(self, core: Core) -> None:
        self.core = core

    def check_size(self, size: int | None) -> None:
        """Refuse early, before a download, when the declared size is already too big."""
        limit = self.core.settings.attachment_max_bytes
        if size is not None and size > limit:
            raise AttachmentTooLarge(size, limit)

    async def stage(
        self,
        *,
        kind: AttachmentKind,
        mime_type: str | None,
        data: bytes,
        filename: str | None = None,
    ) -> StagedAttachment:
        self.check_size(len(data))
        declared = (mime_type or "application/octet-stream").lower().split(";")[0].strip()
        if kind is AttachmentKind.PHOTO:
            declared = "image/jpeg"
        elif kind is AttachmentKind.VOICE:
            declared = "audio/ogg"
        if executable_name(filename):
            raise UnsupportedAttachment(declared, Refusal.EXECUTABLE.value)
        # Trust the bytes, not the label; only the cleaned copy is ever written (a voice
        # is disguised before it exists anywhere but in a worker's memory). The decoding
        # runs in a capped worker process, never in this one.
        workers = media_workers(self.core.settings)
        try:
            cleaned = await asyncio.to_thread(workers.clean, data, declared)
        except MediaRefused as refused:
            raise UnsupportedAttachment(declared, refused.reason.value) from None
        data, mime, stripped = cleaned.data, cleaned.mime_type, cleaned.metadata_stripped
        key = self.core.blobs.new_key()
        sealed = self.core.crypto.encrypt(data, Context.BLOB)
        await self.core.blobs.put(key, sealed)
        return StagedAttachment(
            blob_key=key,
            kind=kind.value,
            mime_type=mime,
            size_bytes=len(data),
            metadata_stripped=stripped,
            text=cleaned.text or None,
        )

    def to_row(
        self,
        staged: StagedAttachment,
        *,
        case_id: int,
        addition_id: int | None,
        sensitive: bool,
    ) -> Attachment:
        # The text follows the case's rule: plain and full-text indexed for a standard
        # case, sealed (and blind-indexed by the caller) for a sensitive one.
        text, text_enc = Sealer(self.core.crypto).split(
            staged.text, Context.ATTACHMENT_TEXT, sensitive=sensitive
        )
        return Attachment(
            case_id=case_id,
            addition_id=addition_id,
            kind=staged.kind,
            mime_type=staged.mime_type,
            size_bytes=staged.size_bytes,
            text=text,
            text_enc=text_enc,
            blob_key=staged.blob_key,
            metadata_stripped=staged.metadata_stripped,
            rebuilt=True,
            created_at=floor_to(self.core.clock.now(), MINUTE),  # as the case's (issue 10)
        )

    async def read(self, attachment: Attachment) -> bytes:
        sealed = await self.core.blobs.get(attachment.blob_key)
        return self.core.crypto.decrypt(sealed, Context.BLOB)

    async def discard(self, staged: list[StagedAttachment]) -> None:
        for item in staged:
            await self.core.blobs.delete(item.blob_key)
