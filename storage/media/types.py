"""What a file really is, read from its bytes; and which labels may stand for it.

Telegram passes on whatever type the sender's app declared, so the label proves nothing:
a TIFF full of EXIF can arrive called "PDF". Every file is recognised from its first
bytes; a file whose bytes contradict its label is refused (:data:`Refusal.TYPE_MISMATCH`).
"""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum


class Refusal(StrEnum):
    """Why a file was not stored: a code the bot turns into a sentence in the person's language."""

    UNSUPPORTED_TYPE = "unsupported_type"
    TYPE_MISMATCH = "type_mismatch"
    UNREADABLE = "unreadable"
    IMAGE_TOO_LARGE = "image_too_large"
    ENCRYPTED = "encrypted"
    LEGACY_OFFICE = "legacy_office"
    EMBEDDED_OBJECTS = "embedded_objects"
    AUDIO_UNREADABLE = "audio_unreadable"
    AUDIO_TOO_LONG = "audio_too_long"


class MediaRefused(Exception):
    """A file that cannot be stored clean; ``reason`` says why, never the content."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


JPEG, PNG, WEBP = "image/jpeg", "image/png", "image/webp"
PDF, TEXT, RTF = "application/pdf", "text/plain", "application/rtf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
DOC, XLS = "application/msword", "application/vnd.ms-excel"
OGG, MPEG, WAV, FLAC, MP4_AUDIO = "audio/ogg", "audio/mpeg", "audio/wav", "audio/flac", "audio/mp4"
# Found but never accepted: named so that a mismatch or a refusal can say what it was.
TIFF, GIF, OLE, ZIP, VIDEO = (
    "image/tiff",
    "image/gif",
    "application/x-ole-storage",
    "application/zip",
    "video/mp4",
)

IMAGE_TYPES = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
DOCUMENT_TYPES = frozenset({PDF, TEXT, DOC, DOCX, XLS, XLSX, ODT, ODS, RTF})
# Every accepted audio file is decoded and re-encoded with a disguised voice as Ogg/Opus.
AUDIO_TYPES = frozenset({OGG, MPEG, MP4_AUDIO, "audio/x-m4a", "audio/aac", WAV, FLAC})
STORED_AUDIO_TYPE = OGG

# Labels apps use for the same thing.
_ALIASES = {
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "audio/mp3": MPEG,
    "audio/x-mp3": MPEG,
    "audio/x-wav": WAV,
    "audio/wave": WAV,
    "audio/vnd.wave": WAV,
    "audio/x-flac": FLAC,
    "audio/x-m4a": MP4_AUDIO,
    "audio/aac": MP4_AUDIO,
    "audio/opus": OGG,
    "application/ogg": OGG,
    "text/rtf": RTF,
    "application/x-rtf": RTF,
    "text/csv": TEXT,
    "text/markdown": TEXT,
}
# Labels that say nothing: the bytes alone decide.
UNLABELLED = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def normalise_label(declared: str | None) -> str:
    label = (declared or "").lower().split(";")[0].strip()
    return _ALIASES.get(label, label)


def accepted(mime_type: str) -> bool:
    label = normalise_label(mime_type)
    return label in IMAGE_TYPES or label in DOCUMENT_TYPES or label in AUDIO_TYPES


def sniff_image(data: bytes) -> str | None:
    """The real image type of ``data`` among those accepted, whatever the sender declared."""
    real = real_type(data)
    return real if real in IMAGE_TYPES else None


def real_type(data: bytes) -> str | None:
    """The type the bytes show, or None when they match nothing known."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return WAV
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MPEG
    if data[4:8] == b"ftyp":
        return MP4_AUDIO if data[8:11] == b"M4A" else VIDEO
    if head.startswith(b"{\\rtf"):
        return RTF
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if _is_text(data):
        return TEXT
    return None


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared in (ODT, ODS) else ZIP
    except (zipfile.BadZipFile, OSError, ValueError):
        return ZIP
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
    return ZIP


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\n\r\f" for ch in text[:4096])


def matches(declared: str, real: str) -> bool:
    """Whether the sender's label agrees with the bytes (legacy Office files share one format)."""
    if declared in UNLABELLED or declared == real:
        return True
    return real == OLE and declared in (DOC, XLS)
