"""Images lose their metadata by being re-encoded from their pixels alone.

A compressed image can unfold into gigabytes: the pixel count is read from the header and
checked before any pixel is decoded. Decoding runs in the capped workers of
:mod:`storage.media.workers`, one file at a time in each.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from storage.media.types import IMAGE_TYPES, JPEG, PNG, MediaRefused, Refusal, real_type

# About a 25-megapixel photo (4:3 at 5800 x 4350); phones send far less through Telegram.
MAX_PIXELS = 25_000_000
# Pillow refuses beyond this itself; the explicit check below comes first and is stricter.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


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
                image.load()
                upright = ImageOps.exif_transpose(image)
                clean = upright if upright is not image else image.copy()
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


# Formats a document may embed that are shown re-encoded as PNG (their metadata, such as
# TIFF's EXIF, goes with the re-encoding). Vector pictures (EMF, WMF, SVG) are dropped.
_CONVERTED = ("GIF", "TIFF", "BMP", "WEBP")


def clean_picture(data: bytes) -> tuple[bytes, str, int, int] | None:
    """A picture embedded in a document, through the image cleaner: ``(data, type, width,
    height)``, or None when it is not a raster picture this product re-encodes. A picture
    past the pixel cap refuses the whole document (``image_too_large``)."""
    real = real_type(data)
    try:
        if real in (JPEG, PNG):
            cleaned, mime_type = strip_image_metadata(data, real), real
        else:
            cleaned, mime_type = _converted(data), PNG
        with Image.open(io.BytesIO(cleaned)) as image:
            width, height = image.size
    except UnreadableImage as refused:
        if refused.reason is Refusal.IMAGE_TOO_LARGE:
            raise
        return None
    except (OSError, ValueError, SyntaxError):
        return None
    return cleaned, mime_type, width, height


def _converted(data: bytes) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_CONVERTED) as image:
                if image.size[0] * image.size[1] > MAX_PIXELS:
                    raise UnreadableImage(Refusal.IMAGE_TOO_LARGE)
                image.seek(0)
                pixels = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnreadableImage(Refusal.IMAGE_TOO_LARGE) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise UnreadableImage() from None
    out = io.BytesIO()
    pixels.save(out, format="PNG")
    return out.getvalue()
