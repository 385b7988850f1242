"""Small, valid media generated on demand for simulated users.

The sample photo deliberately carries EXIF with GPS coordinates and a camera name: a
beneficiary's phone photo usually does, and the bot must strip it before storing anything.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image

# Kyiv, roughly: a location that must never survive into storage.
SAMPLE_GPS = {1: "N", 2: (50.0, 27.0, 1.5), 3: "E", 4: (30.0, 31.0, 2.5)}
SAMPLE_CAMERA = "HolosEmulatorCam"
_GPS_IFD = 0x8825
_MAKE = 0x010F
_MODEL = 0x0110


@cache
def jpeg_with_exif(width: int = 64, height: int = 48) -> bytes:
    """A valid JPEG whose EXIF holds a camera make/model and a GPS position."""
    image = Image.new("RGB", (width, height), (46, 134, 193))
    exif = Image.Exif()
    exif[_MAKE] = SAMPLE_CAMERA
    exif[_MODEL] = "Phone 1"
    gps = exif.get_ifd(_GPS_IFD)
    gps.update(SAMPLE_GPS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=85)
    return buffer.getvalue()


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of an image, or None when the bytes are not an image Pillow reads."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def thumbnail(data: bytes, box: int = 32) -> bytes | None:
    """A re-encoded small copy (no EXIF), like the smaller PhotoSize Telegram produces."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            copy = image.convert("RGB")
            copy.thumbnail((box, box))
            buffer = io.BytesIO()
            copy.save(buffer, "JPEG", quality=70)
            return buffer.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


@cache
def gif() -> bytes:
    frames = [Image.new("P", (16, 16), color) for color in (1, 2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


@cache
def ogg_voice() -> bytes:
    """Bytes that start like an Ogg/Opus voice note; nothing here decodes audio."""
    return b"OggS\x00\x02" + bytes(20) + b"OpusHead\x01\x01" + bytes(40)


@cache
def mp4_video() -> bytes:
    """A tiny byte string with an MP4 ``ftyp`` box header; enough for bots that only store it."""
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(32)


@cache
def webp_sticker() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 64), (255, 200, 0, 255)).save(buffer, "WEBP")
    return buffer.getvalue()
