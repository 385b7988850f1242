"""Small, valid media generated on demand for simulated users.

The sample photo deliberately carries EXIF with GPS coordinates and a camera name: a
beneficiary's phone photo usually does, and the bot must strip it before storing anything.
"""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import soundfile
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
def ogg_voice(seconds: float = 1.0) -> bytes:
    """A real Ogg/Opus voice note: a voiced 150 Hz tone in syllable-like bursts."""
    rate = 48_000
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * 150 * t
    signal = sum(np.sin(k * phase) / k for k in range(1, 20))
    signal *= np.clip(np.sin(2 * np.pi * 2 * t), 0, None) + 0.05
    buffer = io.BytesIO()
    soundfile.write(buffer, 0.3 * signal / np.abs(signal).max(), rate, format="OGG", subtype="OPUS")
    return buffer.getvalue()


def pdf(text: str = "emulator sample") -> bytes:
    """A minimal valid one-page PDF showing ``text`` (ASCII)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@cache
def mp4_video() -> bytes:
    """A tiny byte string with an MP4 ``ftyp`` box header; enough for bots that only store it."""
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(32)


@cache
def webp_sticker() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 64), (255, 200, 0, 255)).save(buffer, "WEBP")
    return buffer.getvalue()
