"""Files from a web form (the console's "New case", the public form): cleaned as the bot
cleans them, refused with the bot's own sentences, named in answers by their place in
the form, never by their file name (it can name someone)."""

from __future__ import annotations

import logging

from admin_api.web.i18n import Texts
from admin_api.web.uploads import FormFile
from storage.core import Core
from storage.enums import AttachmentKind
from storage.errors import AttachmentTooLarge, UnsupportedAttachment
from storage.i18n import _
from storage.media.limits import MAX_PAGES, MAX_SECONDS
from storage.media.types import Refusal
from storage.services.attachments import AttachmentService, StagedAttachment

log = logging.getLogger("holos.web.files")

# Why a file was not added (storage.media.Refusal): the bot's own sentences, so staff,
# the web form and the bot give the same answer for the same file.
REFUSAL = {
    "executable": _(
        "This file contains a program or a web page, so it was not added: it could harm the "
        "computer of the person who opens it. Please send a photo or a screenshot instead, "
        "or copy the text into a message."
    ),
    "encrypted": _(
        "This file is protected with a password, so it cannot be checked. It was not "
        "added. Please send it without the password."
    ),
    "legacy_office": _(
        "Old Word and Excel files (.doc, .xls) cannot be cleaned of hidden data. It was "
        "not added. Please save it as .docx, .xlsx or PDF and send it again."
    ),
    "image_too_large": _(
        "This picture is too large to process. It was not added. Please send a smaller one."
    ),
    "too_complex": _(
        "This file would take too much work to open safely, so it was not added. Please "
        "send a photo or a screenshot of what matters in it, or describe it in words."
    ),
    "audio": _(
        "I could not process this voice message, so it was not added. Please record it "
        "again, or write what happened."
    ),
    "other": _(
        "I cannot accept this type of file. Please send a photo, a PDF or office "
        "document, or a voice message. It was not added."
    ),
}


def refusal_text(t: Texts, reason: str, *, audio: bool) -> str:
    """The bot's answer to the same file (handlers.media.refusal_text)."""
    if reason == Refusal.AUDIO_TOO_LONG:
        minutes = MAX_SECONDS // 60
        return t.ngettext(
            "This recording is longer than {minutes} minute, so it was not added. Please "
            "record shorter messages.",
            "This recording is longer than {minutes} minutes, so it was not added. Please "
            "record shorter messages.",
            minutes,
        ).format(minutes=minutes)
    if reason == Refusal.TOO_MANY_PAGES:
        return t.ngettext(
            "This PDF has more than {pages} page, so it was not added. Please send only the "
            "pages that matter, or a photo of each of them.",
            "This PDF has more than {pages} pages, so it was not added. Please send only the "
            "pages that matter, or a photo of each of them.",
            MAX_PAGES,
        ).format(pages=MAX_PAGES)
    if reason in REFUSAL:
        return t.gettext(REFUSAL[reason])
    if audio or reason in (Refusal.AUDIO_UNREADABLE, Refusal.AUDIO_FORMAT):
        return t.gettext(REFUSAL["audio"])
    return t.gettext(REFUSAL["other"])


def kind_of(upload: FormFile) -> AttachmentKind:
    declared = (upload.content_type or "").lower()
    return AttachmentKind.VOICE if declared.startswith("audio/") else AttachmentKind.DOCUMENT


async def stage_files(
    t: Texts, core: Core, uploads: list[FormFile]
) -> tuple[list[StagedAttachment], list[str]]:
    """Each file checked and cleaned as the bot does; the refusals, one line per file."""
    service = AttachmentService(core)
    staged: list[StagedAttachment] = []
    refused: list[str] = []
    limit_mb = core.settings.attachment_max_bytes // (1024 * 1024)
    too_big = t._("This file is too big: the limit is {limit} MB. It was not added.")
    for number, upload in enumerate(uploads, start=1):
        prefix = t._("File {number}:").format(number=number)
        if upload.too_large:
            refused.append(f"{prefix} {too_big.format(limit=limit_mb)}")
            continue
        kind = kind_of(upload)
        try:
            staged.append(
                await service.stage(
                    kind=kind,
                    mime_type=upload.content_type,
                    data=upload.data,
                    filename=upload.filename,
                )
            )
        except AttachmentTooLarge:
            refused.append(f"{prefix} {too_big.format(limit=limit_mb)}")
        except UnsupportedAttachment as exc:
            log.info("attachment_refused reason=%s", exc.reason)
            audio = kind is AttachmentKind.VOICE
            refused.append(f"{prefix} {refusal_text(t, exc.reason, audio=audio)}")
    return staged, refused
