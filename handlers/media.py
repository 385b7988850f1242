"""Files a reporter sends: fetched from Telegram at intake, checked, cleaned, encrypted.

Returns either a staged attachment or the sentence that tells the person what to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import Message

from handlers import texts
from storage.core import Core
from storage.enums import AttachmentKind
from storage.errors import AttachmentTooLarge, QuotaReached, UnsupportedAttachment
from storage.media.limits import MAX_PAGES, MAX_SECONDS
from storage.media.types import Refusal
from storage.services.attachments import AttachmentService, StagedAttachment, executable_name
from storage.services.throttle import ReporterQuota

log = logging.getLogger("holos.bot.media")


@dataclass(frozen=True)
class Incoming:
    kind: AttachmentKind
    file_id: str
    size: int | None
    mime_type: str | None
    filename: str | None


def incoming_file(message: Message) -> Incoming | None:
    if message.photo:
        largest = message.photo[-1]
        return Incoming(
            AttachmentKind.PHOTO, largest.file_id, largest.file_size, "image/jpeg", None
        )
    if message.document:
        doc = message.document
        return Incoming(
            AttachmentKind.DOCUMENT, doc.file_id, doc.file_size, doc.mime_type, doc.file_name
        )
    if message.voice:
        voice = message.voice
        return Incoming(AttachmentKind.VOICE, voice.file_id, voice.file_size, "audio/ogg", None)
    if message.audio:
        audio = message.audio
        return Incoming(
            AttachmentKind.DOCUMENT,
            audio.file_id,
            audio.file_size,
            audio.mime_type,
            audio.file_name,
        )
    return None


class QuotaRefusal(str):
    """The answer to a file past the person's daily quota (counted as an outcome)."""


async def _over_quota(core: Core, quota: ReporterQuota, size: int) -> str | None:
    """The answer when this file would pass the person's daily bytes, else ``None``."""
    try:
        await quota.check_bytes(size)
    except QuotaReached as reached:
        log.info("attachment_quota_reached")
        return QuotaRefusal(
            texts.file_quota_reached(
                core.settings.attachment_mb_per_day, reached.resets_at, core.settings
            )
        )
    return None


async def stage(
    message: Message, core: Core, incoming: Incoming, *, quota: ReporterQuota
) -> StagedAttachment | str:
    service = AttachmentService(core)
    limit_mb = core.settings.attachment_max_bytes // (1024 * 1024)
    try:
        service.check_size(incoming.size)
    except AttachmentTooLarge:
        return texts.file_too_big(limit_mb)
    # A program's name is enough to refuse it, before anything is fetched. The name is
    # looked at for this alone: it is never kept (it can name the reporter).
    if executable_name(incoming.filename):
        log.info("attachment_refused reason=%s", Refusal.EXECUTABLE.value)
        return texts.file_executable()
    # Checked before the download: a file past today's quota costs us nothing.
    over_quota = await _over_quota(core, quota, incoming.size or 0)
    if over_quota is not None:
        return over_quota
    if message.bot is None:
        return texts.file_failed()
    try:
        file = await message.bot.get_file(incoming.file_id)
        if file.file_path is None:
            return texts.file_failed()
        buffer = await message.bot.download_file(file.file_path)
    except TelegramBadRequest as exc:
        if "too big" in str(exc).lower():
            return texts.file_too_big(limit_mb)
        log.warning("attachment_download_failed error=%s", type(exc).__name__)
        return texts.file_failed()
    except (TelegramAPIError, OSError) as exc:
        log.warning("attachment_download_failed error=%s", type(exc).__name__)
        return texts.file_failed()
    data = buffer.read() if buffer is not None else b""
    # What we fetched counts, kept or refused: the quota bounds the work, not the result.
    await quota.count_bytes(len(data))
    try:
        return await service.stage(
            kind=incoming.kind, mime_type=incoming.mime_type, data=data, filename=incoming.filename
        )
    except AttachmentTooLarge:
        return texts.file_too_big(limit_mb)
    except UnsupportedAttachment as refused:
        log.info("attachment_refused reason=%s", refused.reason)
        audio = incoming.kind is AttachmentKind.VOICE or (incoming.mime_type or "").startswith(
            "audio/"
        )
        return refusal_text(refused.reason, audio=audio)


def refusal_text(reason: str, *, audio: bool) -> str:
    """Say why a file was not added, in words that tell the person what to do instead."""
    if reason == Refusal.EXECUTABLE:
        return texts.file_executable()
    if reason == Refusal.AUDIO_TOO_LONG:
        return texts.voice_too_long(MAX_SECONDS // 60)
    if audio or reason in (Refusal.AUDIO_UNREADABLE, Refusal.AUDIO_FORMAT):
        # Whatever is wrong inside a recording, the way out is the same.
        return texts.voice_unreadable()
    if reason == Refusal.ENCRYPTED:
        return texts.file_encrypted()
    if reason == Refusal.LEGACY_OFFICE:
        return texts.file_legacy_office()
    if reason == Refusal.IMAGE_TOO_LARGE:
        return texts.image_too_large()
    if reason == Refusal.TOO_MANY_PAGES:
        return texts.pdf_too_many_pages(MAX_PAGES)
    if reason == Refusal.TOO_COMPLEX:
        return texts.file_too_complex()
    return texts.file_not_accepted()
