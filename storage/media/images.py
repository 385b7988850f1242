"""Images lose their metadata by being re-encoded from their pixels alone.

A compressed image can unfold into gigabytes: the pixel count is read from the header and
checked before any pixel is decoded, and at most two images are decoded at a time.
"""

from __future__ import annotations

import io
import threading
import warnings

from PIL import Image, ImageOps

from storage.media.types import IMAGE_TYPES, MediaRefused, Refusal

# About a 25-megapixel photo (4:3 at 5800 x 4350); phones send far less through Telegram.
MAX_PIXELS = 25_000_000
# Pillow refuses beyond this itself; the explicit check below comes first and is stricter.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
_DECODING = threading.BoundedSemaphore(2)


class UnreadableImage(MediaRefused):
    def __init__(self, reason: Refusal = Refusal.UNREADABLE) -> None:
        super().__init__(reason)


def strip_image_metadata(data: bytes, mime_type: str) -> bytes:
    """Re-encode the pixels alone: EXIF (GPS, camera, owner), XMP, comments and ICC go.

    The EXIF orientation is applied first, so the picture still stands the right way up.
    Raises :class:`UnreadableImage` (reason ``image_too_large`` for a bomb).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                frames = getattr(image, "n_frames", 1)
                if width * height * frames > MAX_PIXELS:
                    raise UnreadableImage(Refusal.IMAGE_TOO_LARGE)
                with _DECODING:
                    image.load()
                    upright = ImageOps.exif_transpose(image)
                    clean = upright.copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnreadableImage(Refusal.IMAGE_TOO_LARGE) from None
    except (OSError, ValueError, SyntaxError):
        raise UnreadableImage() from None
    clean.info = {}
    fmt = IMAGE_TYPES[mime_type]
    if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 92} if fmt in ("JPEG", "WEBP") else {}
    clean.save(out, format=fmt, **options)
    return out.getvalue()


# JPEG segments that carry no pixels: APP1 (EXIF, XMP), APP2 (ICC, FlashPix), APP3-APP13,
# APP15 and comments. APP0 (JFIF) and APP14 (Adobe colour transform) are needed to decode.
_DROPPED = {0xFE, *range(0xE1, 0xEE), 0xEF}


def strip_jpeg_segments(data: bytes) -> bytes:
    """Remove metadata segments from a JPEG without decoding it (for scans inside a PDF)."""
    if not data.startswith(b"\xff\xd8"):
        raise UnreadableImage()
    out, i = bytearray(b"\xff\xd8"), 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise UnreadableImage()
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[i:]
            return bytes(out)
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2:
            raise UnreadableImage()
        if marker not in _DROPPED:
            out += data[i : i + 2 + length]
        i += 2 + length
    raise UnreadableImage()
