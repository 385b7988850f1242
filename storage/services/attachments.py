"""Attachments: checked, cleaned and encrypted the moment they arrive.

The bot stages each file while the reporter is still writing (so a wrong file gets an
answer at once); submitting the report, or an addition, links the staged blobs.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

from storage.clock import MINUTE, floor_to
from storage.core import Core
from storage.crypto import DecryptionError
from storage.enums import AttachmentKind
from storage.errors import AttachmentTooLarge, UnsupportedAttachment
from storage.media import MediaRefused, clean
from storage.models import Attachment
from storage.sealed import Context

MAX_FILENAME = 200


@dataclass(frozen=True)
class StagedAttachment:
    """A file already cleaned, encrypted and stored, waiting to be linked to a case."""

    blob_key: str
    kind: str
    mime_type: str
    size_bytes: int
    filename: str | None
    metadata_stripped: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StagedAttachment:
        return cls(**data)


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
        # Trust the bytes, not the label; only the cleaned copy is ever written (a voice
        # is disguised before it exists anywhere but in memory).
        try:
            cleaned = await asyncio.to_thread(clean, data, declared)
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
            filename=(filename or None) and filename[:MAX_FILENAME],
            metadata_stripped=stripped,
        )

    def to_row(
        self, staged: StagedAttachment, *, case_id: int, addition_id: int | None
    ) -> Attachment:
        crypto = self.core.crypto
        return Attachment(
            case_id=case_id,
            addition_id=addition_id,
            kind=staged.kind,
            mime_type=staged.mime_type,
            size_bytes=staged.size_bytes,
            filename_enc=crypto.encrypt_text(staged.filename, Context.FILENAME)
            if staged.filename
            else None,
            blob_key=staged.blob_key,
            metadata_stripped=staged.metadata_stripped,
            created_at=floor_to(self.core.clock.now(), MINUTE),  # as the case's (issue 10)
        )

    async def read(self, attachment: Attachment) -> bytes:
        sealed = await self.core.blobs.get(attachment.blob_key)
        return self.core.crypto.decrypt(sealed, Context.BLOB)

    def filename(self, attachment: Attachment) -> str | None:
        if attachment.filename_enc is None:
            return None
        try:
            return self.core.crypto.decrypt_text(attachment.filename_enc, Context.FILENAME)
        except DecryptionError:
            return None

    async def discard(self, staged: list[StagedAttachment]) -> None:
        for item in staged:
            await self.core.blobs.delete(item.blob_key)
