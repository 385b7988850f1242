"""What files are accepted, and how each loses what could identify its sender (SPEC §4).

:func:`clean` is the one door: it reads the real type from the bytes, refuses a file
whose label contradicts them, and returns a copy without author, device, location or
time metadata; voices come back disguised. What cannot be cleaned raises
:class:`MediaRefused` with a :class:`Refusal` code for the bot to explain.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.media.documents import clean_pdf, clean_rtf, clean_text
from storage.media.images import MAX_PIXELS, UnreadableImage, strip_image_metadata
from storage.media.office import clean_office
from storage.media.types import (
    AUDIO_TYPES,
    DOCUMENT_TYPES,
    DOCX,
    FLAC,
    IMAGE_TYPES,
    MP4_AUDIO,
    MPEG,
    ODS,
    ODT,
    OGG,
    OLE,
    PDF,
    RTF,
    STORED_AUDIO_TYPE,
    TEXT,
    WAV,
    XLSX,
    MediaRefused,
    Refusal,
    accepted,
    matches,
    normalise_label,
    real_type,
    sniff_image,
)
from storage.media.voice import disguise_voice

__all__ = [
    "AUDIO_TYPES",
    "DOCUMENT_TYPES",
    "IMAGE_TYPES",
    "MAX_PIXELS",
    "CleanFile",
    "MediaRefused",
    "Refusal",
    "UnreadableImage",
    "accepted",
    "clean",
    "real_type",
    "sniff_image",
    "strip_image_metadata",
]

_AUDIO = frozenset({OGG, MPEG, WAV, FLAC, MP4_AUDIO})
_OFFICE = frozenset({DOCX, XLSX, ODT, ODS})


@dataclass(frozen=True)
class CleanFile:
    data: bytes
    mime_type: str
    metadata_stripped: bool
    voice_disguised: bool = False


def clean(data: bytes, declared: str | None) -> CleanFile:
    """The storable copy of ``data``; CPU-bound, so callers run it in a worker thread."""
    label = normalise_label(declared)
    real = real_type(data)
    if real is None:
        raise MediaRefused(Refusal.UNREADABLE if accepted(label) else Refusal.UNSUPPORTED_TYPE)
    if not matches(label, real):
        raise MediaRefused(Refusal.TYPE_MISMATCH)
    if real in IMAGE_TYPES:
        return CleanFile(strip_image_metadata(data, real), real, metadata_stripped=True)
    if real in _AUDIO:
        return CleanFile(
            disguise_voice(data), STORED_AUDIO_TYPE, metadata_stripped=True, voice_disguised=True
        )
    if real == PDF:
        return CleanFile(clean_pdf(data), PDF, metadata_stripped=True)
    if real in _OFFICE:
        return CleanFile(clean_office(data), real, metadata_stripped=True)
    if real == RTF:
        return CleanFile(clean_rtf(data), RTF, metadata_stripped=True)
    if real == TEXT:
        return CleanFile(clean_text(data), TEXT, metadata_stripped=False)
    if real == OLE:
        raise MediaRefused(Refusal.LEGACY_OFFICE)
    raise MediaRefused(Refusal.UNSUPPORTED_TYPE)
