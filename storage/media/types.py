"""What a file really is, read from its bytes; and which labels may stand for it.

Telegram passes on whatever type the sender's app declared, so the label proves nothing:
a TIFF full of EXIF can arrive called "PDF", a VBScript program "text/plain". Every file
is recognised from its first bytes; a program or a web page (script, markup) is refused
whatever it is called (:data:`Refusal.EXECUTABLE`), and any other file whose bytes
contradict its label is refused too (:data:`Refusal.TYPE_MISMATCH`).

Recognising an archive reads its table of contents only, and at most a few bytes of its
``mimetype`` entry after checking the size it declares (issue 18 §3).
"""

from __future__ import annotations

import io
import struct
import zipfile
from enum import StrEnum

# What ``zipfile`` raises on a damaged or hostile archive, besides BadZipFile: OSError and
# EOFError on a truncated one, ValueError and struct.error on bad offsets and fields,
# LargeZipFile, and NotImplementedError for a version or compression method it does not
# know (one flipped byte of the central directory: "zip file version 6.4"). Catching
# fewer turned a damaged upload into a crash instead of a refusal.
ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    struct.error,
    NotImplementedError,
)


class Refusal(StrEnum):
    """Why a file was not stored: a code the bot turns into a sentence in the person's language."""

    UNSUPPORTED_TYPE = "unsupported_type"
    TYPE_MISMATCH = "type_mismatch"
    UNREADABLE = "unreadable"
    IMAGE_TOO_LARGE = "image_too_large"
    ENCRYPTED = "encrypted"
    LEGACY_OFFICE = "legacy_office"
    AUDIO_UNREADABLE = "audio_unreadable"
    AUDIO_TOO_LONG = "audio_too_long"
    # More than two channels or above 48 kHz: refused from the header, before decoding.
    AUDIO_FORMAT = "audio_format"
    # A program, a script or a web page, whatever its label or name says.
    EXECUTABLE = "executable"
    TOO_MANY_PAGES = "too_many_pages"
    # More work than a file may cause: an archive that unfolds too far, too many parts,
    # or a decoder killed for passing its memory or CPU allowance.
    TOO_COMPLEX = "too_complex"


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
# Refused whatever their label: they run, or a browser or Windows would run them.
PROGRAM, MARKUP = "application/x-executable", "text/html"
EXECUTABLE_TYPES = frozenset({PROGRAM, MARKUP})

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


# Windows (MZ), Linux (ELF), macOS (Mach-O, fat binaries and Java classes share CAFEBABE),
# shortcuts (.lnk), and scripts that name their interpreter.
_PROGRAM_MAGIC = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"L\x00\x00\x00\x01\x14\x02\x00",
    b"#!",
)
# Markup a browser, mshta.exe or an SVG viewer would run scripts in. Legitimate reports
# are typed text; a file holding one of these is a web page or an HTML application.
_MARKUP = (
    b"<html",
    b"<!doctype",
    b"<script",
    b"<hta:",
    b"<svg",
    b"<?xml",
    b"<body",
    b"<iframe",
    b"<object",
    b"<embed",
    b"<meta",
    b"<head",
    b"<form",
    b"<xml",
    b"<x:xmpmeta",
    b"javascript:",
    b"vbscript:",
)
# The part of a text file searched for markup (a page buries its script anywhere).
_MARKUP_WINDOW = 1024 * 1024
# An ODF's "mimetype" entry is a few dozen bytes; more is not an ODF.
_MAX_MIMETYPE_BYTES = 128


def real_type(data: bytes) -> str | None:
    """The type the bytes show, or None when they match nothing known."""
    head = data[:16]
    # A DOS/Windows header always holds zero bytes near its start; a text never does.
    if head.startswith(_PROGRAM_MAGIC) or (head.startswith(b"MZ") and b"\x00" in data[:64]):
        return PROGRAM
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
        return MARKUP if _is_markup(data) else TEXT
    return None


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > _MAX_MIMETYPE_BYTES:
                    return ZIP
                with archive.open(info) as member:
                    declared = member.read(_MAX_MIMETYPE_BYTES).decode("ascii", "replace")
                return declared.strip() if declared.strip() in (ODT, ODS) else ZIP
    except ZIP_ERRORS:
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


def _is_markup(data: bytes) -> bool:
    window = data[:_MARKUP_WINDOW].lower()
    return any(tag in window for tag in _MARKUP)


def matches(declared: str, real: str) -> bool:
    """Whether the sender's label agrees with the bytes (legacy Office files share one format)."""
    if declared in UNLABELLED or declared == real:
        return True
    return real == OLE and declared in (DOC, XLS)
