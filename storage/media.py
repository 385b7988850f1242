"""What files are accepted, and how images lose their metadata (SPEC §4 "Attachments")."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

# Pillow warns, then fails, on decompression bombs; both are refusals here.
Image.MAX_IMAGE_PIXELS = 60_000_000

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "text/plain",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/rtf",
    }
)
AUDIO_TYPES = frozenset({"audio/ogg", "audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/aac"})

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


class UnreadableImage(Exception):
    pass


def sniff_image(data: bytes) -> str | None:
    """The real image type of ``data``, whatever the sender declared."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def accepted(mime_type: str) -> bool:
    return mime_type in IMAGE_TYPES or mime_type in DOCUMENT_TYPES or mime_type in AUDIO_TYPES


def strip_image_metadata(data: bytes, mime_type: str) -> bytes:
    """Re-encode the pixels alone: EXIF (GPS, camera, owner), XMP, comments and ICC go.

    The EXIF orientation is applied first, so the picture still stands the right way up.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                clean = upright.copy()
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise UnreadableImage(str(exc)) from None
    clean.info = {}
    fmt = IMAGE_TYPES[mime_type]
    if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 92} if fmt in ("JPEG", "WEBP") else {}
    clean.save(out, format=fmt, **options)
    return out.getvalue()
