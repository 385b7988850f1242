"""Every file is recognised by its bytes and stored without who, where and when."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader

from storage.media import MediaRefused, Refusal, clean
from storage.media.images import MAX_PIXELS
from tests.storage.media.attacks import claiming_zip_version
from tests.storage.media.samples import docx_with_metadata, jpeg_with_gps, pdf_with_metadata


def refusal(data: bytes, declared: str | None) -> Refusal:
    with pytest.raises(MediaRefused) as caught:
        clean(data, declared)
    return caught.value.reason


def tiff_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = "Olha Kovalenko"
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "TIFF", exif=exif.tobytes())
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height``: a bomb needs no more to be caught."""
    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "declared", "reason"),
    [
        (tiff_with_exif(), "application/pdf", Refusal.TYPE_MISMATCH),
        (jpeg_with_gps(), "application/pdf", Refusal.TYPE_MISMATCH),
        (b"%PDF-1.4 not really", "image/jpeg", Refusal.TYPE_MISMATCH),
        (tiff_with_exif(), None, Refusal.UNSUPPORTED_TYPE),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
            "application/msword",
            Refusal.LEGACY_OFFICE,
        ),
        (b"%PDF-1.4 distribution list", "application/pdf", Refusal.UNREADABLE),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff", "application/pdf", Refusal.EXECUTABLE),
        (
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff",
            "application/x-msdownload",
            Refusal.EXECUTABLE,
        ),
        (png_header(6000, 6000), "image/png", Refusal.IMAGE_TOO_LARGE),
    ],
    ids=[
        "tiff-as-pdf",
        "jpeg-as-pdf",
        "pdf-as-jpeg",
        "tiff",
        "legacy-doc",
        "broken-pdf",
        "exe-as-pdf",
        "exe",
        "png-bomb",
    ],
)
def test_refusals_carry_a_reason(data: bytes, declared: str | None, reason: Refusal) -> None:
    assert refusal(data, declared) is reason


def test_the_pixel_cap_is_about_25_megapixels() -> None:
    assert 20_000_000 <= MAX_PIXELS <= 30_000_000
    assert refusal(png_header(5001, 5001), None) is Refusal.IMAGE_TOO_LARGE


def test_pdf_loses_author_xmp_and_the_exif_of_embedded_scans() -> None:
    original = pdf_with_metadata(jpeg=jpeg_with_gps())
    for marker in (b"Olha Kovalenko", b"PhoneScanner", b"PhoneMaker", b"Exif"):
        assert marker in original
    result = clean(original, "application/pdf")
    assert result.mime_type == "application/pdf" and result.metadata_stripped
    for marker in (b"Olha Kovalenko", b"PhoneScanner", b"PhoneMaker", b"Exif", b"20250101"):
        assert marker not in result.data
    reader = PdfReader(io.BytesIO(result.data))
    assert len(reader.pages) == 1 and not reader.metadata
    (image,) = reader.pages[0].images
    # The whole page as a picture (200 points at 150 dpi), the scan drawn on it in red.
    assert image.image is not None and image.image.size == (417, 417)
    red, green, _ = image.image.convert("RGB").getpixel((30 * 150 // 72, 417 - 30 * 150 // 72))
    assert red > 150 and green < 100


def test_encrypted_pdf_is_refused() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    assert refusal(out.getvalue(), "application/pdf") is Refusal.ENCRYPTED


def test_office_documents_lose_authors_companies_and_times() -> None:
    original = docx_with_metadata()
    result = clean(
        original, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    entries = _entries(result.data)
    assert b"Olha" not in b"".join(entries.values())
    assert b"Village Council" not in b"".join(entries.values())
    assert b"They took half the food." in entries["word/document.xml"]
    assert not any(name.startswith("docProps/") for name in entries)
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_office_documents_lose_macros_and_embedded_objects() -> None:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx_with_metadata())) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("word/embeddings/oleObject1.bin", b"\xd0\xcf\x11\xe0")
        target.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0")
    entries = _entries(clean(out.getvalue(), None).data)
    assert not any(name.endswith(".bin") for name in entries)
    assert b"They took half the food." in entries["word/document.xml"]


def test_rtf_loses_its_info_group_and_keeps_the_text() -> None:
    rtf = (
        rb"{\rtf1\ansi{\info{\author Olha Kovalenko}{\company Village Council}"
        rb"{\creatim\yr2025\mo1\dy1}}They took \{half\} the food.\par}"
    )
    result = clean(rtf, "application/rtf")
    document = _entries(result.data)["word/document.xml"]
    assert b"Olha" not in document and b"Village" not in document
    assert b"They took {half} the food." in document
    assert result.text == "They took {half} the food."


def test_plain_text_is_kept_as_it_is() -> None:
    text = "Список роздачі: 12 родин.\n".encode()
    result = clean(text, "text/plain")
    assert result.data == text and result.mime_type == "text/plain"


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_an_office_file_claiming_a_zip_version_from_the_future_is_refused() -> None:
    damaged = claiming_zip_version(docx_with_metadata(), 64)
    with pytest.raises(NotImplementedError):
        zipfile.ZipFile(io.BytesIO(damaged))
    for declared in (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
        None,
    ):
        assert refusal(damaged, declared) is Refusal.UNREADABLE
