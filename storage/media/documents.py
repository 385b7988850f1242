"""PDFs reach staff flattened, the way Dangerzone does it; plain text stays text.

A PDF is a program for a viewer: page and document actions (``/AA``, ``/OpenAction``)
run JavaScript or launch programs, links call addresses, annotations carry their
author's name and e-mail, embedded files carry anything (a photo with its GPS), and the
metadata names the author and the device. Removing each of these is a list that is never
complete. Instead every page is rendered to pixels with PDFium (``pypdfium2``) at about
150 dpi, within a pixel cap per page, and a new PDF is written around the pictures (one
JPEG per page, the page keeping its size). The new file holds a catalog, the pages and
their pictures and nothing else, so nothing active, no annotation, no embedded file and
no metadata survives, by construction. The text PDFium extracts from the pages is
returned beside it, to be sealed and indexed like the case's own text.

Rendering runs in the capped worker processes of :mod:`storage.media.workers`.
"""

from __future__ import annotations

import io
import math

import pypdfium2 as pdfium

from storage.media.limits import MAX_PAGES
from storage.media.types import MediaRefused, Refusal

DPI = 150
# A page at 150 dpi: A4 is 2.2 million pixels, A3 4.4; a bigger page is drawn smaller.
MAX_PAGE_PIXELS = 6_000_000
# A side of a picture, whatever the page's shape (JPEG stops at 65,535).
MAX_PAGE_SIDE = 10_000
# Searchable text kept per file (about 8 dense pages; a PostgreSQL search document holds
# at most 1 MB for a case and its files); the pictures keep every page.
MAX_TEXT_CHARS = 20_000
_JPEG_QUALITY = 85
_POINTS_PER_INCH = 72


def flatten_pdf(data: bytes) -> tuple[bytes, str]:
    """``(image-only PDF, extracted text)``; raises :class:`MediaRefused`."""
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise MediaRefused(Refusal.ENCRYPTED) from None
        raise MediaRefused(Refusal.UNREADABLE) from None
    try:
        if len(document) > MAX_PAGES:
            raise MediaRefused(Refusal.TOO_MANY_PAGES)
        if len(document) == 0:
            raise MediaRefused(Refusal.UNREADABLE)
        pages, texts = [], []
        for index in range(len(document)):
            page = document[index]
            try:
                pages.append(_render(page))
                texts.append(_text(page))
            finally:
                page.close()
    except pdfium.PdfiumError:
        raise MediaRefused(Refusal.UNREADABLE) from None
    finally:
        document.close()
    text = "\n\n".join(t for t in texts if t)[:MAX_TEXT_CHARS]
    return image_pdf(pages), text


def _render(page: pdfium.PdfPage) -> tuple[bytes, int, int, float, float]:
    """One page as ``(jpeg, pixel width, pixel height, point width, point height)``."""
    width, height = page.get_size()
    if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
        raise MediaRefused(Refusal.UNREADABLE)
    # Pixel counts are rounded up, hence the 1 % margin under each cap.
    scale = min(
        DPI / _POINTS_PER_INCH,
        0.99 * math.sqrt(MAX_PAGE_PIXELS / (width * height)),
        0.99 * MAX_PAGE_SIDE / max(width, height),
    )
    # Forms are not initialised, so no form script can run; annotations' appearance (a
    # stamp, a highlight) is drawn as the reader saw it; their hidden fields are not.
    bitmap = page.render(scale=scale, may_draw_forms=False, fill_color=(255, 255, 255, 255))
    try:
        image = bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=_JPEG_QUALITY)
    # The page keeps its size (PDFium's, rotation applied: the picture stands upright).
    return out.getvalue(), image.width, image.height, width, height


def _text(page: pdfium.PdfPage) -> str:
    text_page = page.get_textpage()
    try:
        return str(text_page.get_text_range()).replace("\r\n", "\n").strip()
    finally:
        text_page.close()


def image_pdf(pages: list[tuple[bytes, int, int, float, float]]) -> bytes:
    """A PDF of one JPEG per page: catalog, page tree, pages, pictures. No /Info, no
    /ID, no metadata, no font, no annotation, no action; only what is written here."""
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: page tree (filled in below)
    kids = []
    for jpeg, pixel_width, pixel_height, width, height in pages:
        image_number = len(objects) + 1
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
            % (pixel_width, pixel_height, len(jpeg), jpeg)
        )
        drawing = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (width, height)
        contents_number = len(objects) + 1
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(drawing), drawing))
        kids.append(len(objects) + 1)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
            b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
            % (width, height, image_number, contents_number)
        )
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
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


def clean_text(data: bytes) -> tuple[bytes, str]:
    """Plain text (already known to be UTF-8 and not markup): kept, without a BOM."""
    text = data.decode("utf-8-sig")
    if not text.strip():
        raise MediaRefused(Refusal.UNREADABLE)
    return data.removeprefix(b"\xef\xbb\xbf"), text[:MAX_TEXT_CHARS]
