"""Office files (DOCX, XLSX, ODT, ODS, RTF) are rebuilt, never passed on.

Each is read for what a reader sees (:mod:`storage.media.ooxml`, :mod:`storage.media.odf`,
:mod:`storage.media.rtf`) and written anew from that alone (:mod:`storage.media.rebuild`):
documents as DOCX, spreadsheets as XLSX. Macros, embedded and linked objects, templates,
external links, comments and their authors, people, custom XML and properties are not
refused one by one: they are never read, so they are never written. The old binary
formats (.doc, .xls) are refused: their parts cannot be read this way.
"""

from __future__ import annotations

from storage.media.archives import Archive
from storage.media.documents import MAX_TEXT_CHARS
from storage.media.odf import read_ods, read_odt
from storage.media.ooxml import read_docx, read_xlsx
from storage.media.rebuild import Document, Workbook, write_docx, write_xlsx
from storage.media.rtf import read_rtf
from storage.media.types import DOCX, ODS, ODT, RTF, XLSX, MediaRefused, Refusal

OFFICE_TYPES = frozenset({DOCX, XLSX, ODT, ODS, RTF})


def rebuild_office(data: bytes, real: str) -> tuple[bytes, str, str]:
    """``(rebuilt file, its type, its text)`` for an office file of type ``real``."""
    try:
        content = _read(data, real)
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):
        raise MediaRefused(Refusal.UNREADABLE) from None
    text = content.text()[:MAX_TEXT_CHARS]
    if isinstance(content, Workbook):
        return write_xlsx(content), XLSX, text
    return write_docx(content), DOCX, text


def _read(data: bytes, real: str) -> Document | Workbook:
    if real == RTF:
        return read_rtf(data)
    with Archive(data) as archive:
        if real == DOCX:
            return read_docx(archive)
        if real == XLSX:
            return read_xlsx(archive)
        if real == ODT:
            return read_odt(archive)
        if real == ODS:
            return read_ods(archive)
    raise MediaRefused(Refusal.UNSUPPORTED_TYPE)
