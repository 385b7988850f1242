"""Media made in the test: a voiced signal with a known pitch, documents with metadata."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import soundfile
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject

GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x013B] = "Olha Kovalenko"  # Artist
    exif[0x0112] = 6  # Orientation: rotate 90° to stand upright
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 0.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), comment=b"taken at home")
    return out.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Vowel-like resonances (Hz, bandwidth): the "throat and mouth" a disguise must move.
_FORMANTS = ((700, 110), (1220, 120), (2600, 160))


def voiced(f0: float, seconds: float = 2.0, rate: int = 48_000) -> np.ndarray:
    """A voice-like signal: harmonics of a slightly wavering ``f0`` shaped by formants,
    in syllable-like bursts (so that the energy envelope has something to follow)."""
    t = np.arange(int(seconds * rate)) / rate
    pitch = f0 * (1 + 0.04 * np.sin(2 * np.pi * 1.3 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    signal = np.zeros_like(t)
    for k in range(1, int(4000 / f0)):
        gain = sum(1 / (1 + ((k * f0 - fc) / bw) ** 2) for fc, bw in _FORMANTS)
        signal += gain * np.sin(k * phase)
    syllables = np.clip(np.sin(2 * np.pi * 2.2 * t), 0, None) ** 0.7 + 0.03
    signal *= syllables
    return (0.4 * signal / np.abs(signal).max()).astype(np.float32)


def encoded(
    samples: np.ndarray, rate: int = 48_000, fmt: str = "OGG", subtype: str = "OPUS"
) -> bytes:
    out = io.BytesIO()
    soundfile.write(out, samples, rate, format=fmt, subtype=subtype)
    return out.getvalue()


def id3_tag(**frames: str) -> bytes:
    """An ID3v2.3 tag (e.g. TPE1 artist, TXXX GPS) to put in front of an MP3."""
    body = b""
    for frame_id, value in frames.items():
        payload = b"\x00" + value.encode("latin-1")
        body += frame_id.encode() + len(payload).to_bytes(4, "big") + b"\x00\x00" + payload
    size = len(body)
    syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x03\x00\x00" + syncsafe + body


def pdf_with_metadata(jpeg: bytes | None = None) -> bytes:
    """A PDF naming its author in /Info and XMP; with ``jpeg``, a page drawing that JPEG
    as it is (DCTDecode), EXIF and all, the way scanner apps embed photos."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    writer.add_metadata(
        {"/Author": "Olha Kovalenko", "/Creator": "PhoneScanner 3", "/CreationDate": "D:20250101"}
    )
    xmp = DecodedStreamObject()
    xmp.set_data(b"<x:xmpmeta><dc:creator>Olha Kovalenko</dc:creator></x:xmpmeta>")
    xmp.update({NameObject("/Type"): NameObject("/Metadata")})
    writer._root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    if jpeg is not None:
        image = DecodedStreamObject()
        image._data = jpeg
        image.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(64),
                NameObject("/Height"): NumberObject(48),
                NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
                NameObject("/BitsPerComponent"): NumberObject(8),
                NameObject("/Filter"): NameObject("/DCTDecode"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {
                NameObject("/XObject"): DictionaryObject(
                    {NameObject("/Im0"): writer._add_object(image)}
                )
            }
        )
        content = DecodedStreamObject()
        content.set_data(b"q 64 0 0 48 10 10 cm /Im0 Do Q")
        page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_with_metadata() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "docProps/core.xml",
            "<cp:coreProperties><dc:creator>Olha Kovalenko</dc:creator>"
            "<cp:lastModifiedBy>Olha Kovalenko</cp:lastModifiedBy></cp:coreProperties>",
        )
        archive.writestr(
            "docProps/app.xml", "<Properties><Company>Village Council</Company></Properties>"
        )
        archive.writestr(
            "word/document.xml",
            f'<w:document xmlns:w="{_W}"><w:body><w:p><w:ins w:author="Olha Kovalenko" '
            'w:date="2025-01-01T10:00:00Z"><w:r><w:t>They took half the food.</w:t></w:r>'
            "</w:ins></w:p></w:body></w:document>",
        )
        archive.writestr(
            "word/comments.xml",
            f'<w:comments xmlns:w="{_W}"><w:comment w:author="Olha Kovalenko" w:initials="OK"/>'
            "</w:comments>",
        )
    return out.getvalue()
