"""What an ODT or an ODS says, read from ``content.xml`` alone (see :mod:`storage.media.ooxml`
for why only the content is read, and :mod:`storage.media.rebuild` for what is written).

Metadata, settings, styles, scripts and event listeners, Basic libraries, embedded
objects and annotations (comments, with their author and date) are never taken; links
keep their text, not their address. A spreadsheet's repeated rows and columns
(``number-rows-repeated="1048000"`` costs a few bytes) are never unfolded where empty,
and unfold against the cell cap where not.
"""

from __future__ import annotations

import posixpath
from xml.etree.ElementTree import Element

from storage.media.archives import Archive
from storage.media.images import clean_picture
from storage.media.ooxml import MAX_CELLS, MAX_NESTING, MAX_PICTURES, MAX_SHEETS
from storage.media.rebuild import Document, Paragraph, Picture, Sheet, Table, Value, Workbook
from storage.media.types import MediaRefused, Refusal

_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_XLINK = "{http://www.w3.org/1999/xlink}"

# Text inside these is not what the document shows (comments, tracked changes, notes'
# bodies are elsewhere) or not text at all.
_SKIPPED = {
    f"{_OFFICE}annotation",
    f"{_OFFICE}annotation-end",
    f"{_TEXT}tracked-changes",
    f"{_TEXT}note",
    f"{_TEXT}bookmark-ref",
    f"{_DRAW}frame",
}


def _content(archive: Archive, body_kind: str) -> Element:
    root = archive.xml("content.xml")
    body = root.find(f"{_OFFICE}body/{_OFFICE}{body_kind}")
    if body is None:
        raise MediaRefused(Refusal.UNREADABLE)
    return body


# ODT ---------------------------------------------------------------------------------


def read_odt(archive: Archive) -> Document:
    document = Document()
    state = _Pictures(archive)
    _blocks(_content(archive, "text"), document.blocks, state, depth=0)
    return document


class _Pictures:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.count = 0

    def get(self, href: str | None) -> Picture | None:
        if not href or "://" in href or href.startswith(("/", "\\")):
            return None
        name = posixpath.normpath(href.removeprefix("./"))
        if name not in self.archive:
            return None
        self.count += 1
        if self.count > MAX_PICTURES:
            raise MediaRefused(Refusal.TOO_COMPLEX)
        cleaned = clean_picture(self.archive.read(name))
        return None if cleaned is None else Picture(*cleaned)


def _blocks(
    parent: Element, out: list[Paragraph | Table], pictures: _Pictures, *, depth: int
) -> None:
    if depth > MAX_NESTING:
        raise MediaRefused(Refusal.TOO_COMPLEX)
    for child in parent:
        if child.tag in (f"{_TEXT}p", f"{_TEXT}h"):
            paragraph = Paragraph(text=_text(child), heading=child.tag == f"{_TEXT}h")
            for image in child.iter(f"{_DRAW}image"):
                picture = pictures.get(image.get(f"{_XLINK}href"))
                if picture is not None:
                    paragraph.pictures.append(picture)
            out.append(paragraph)
        elif child.tag == f"{_TABLE}table":
            out.append(Table(_table_rows(child)))
        elif child.tag in (
            f"{_TEXT}list",
            f"{_TEXT}list-item",
            f"{_TEXT}list-header",
            f"{_TEXT}section",
        ):
            _blocks(child, out, pictures, depth=depth + 1)


def _text(element: Element) -> str:
    pieces: list[str] = [element.text or ""]
    for child in element:
        if child.tag not in _SKIPPED:
            if child.tag == f"{_TEXT}s":
                pieces.append(" " * min(int(child.get(f"{_TEXT}c", "1") or 1), 100))
            elif child.tag == f"{_TEXT}tab":
                pieces.append("\t")
            elif child.tag == f"{_TEXT}line-break":
                pieces.append("\n")
            else:
                pieces.append(_text(child))
        pieces.append(child.tail or "")
    return "".join(pieces)


def _table_rows(table: Element) -> list[list[str]]:
    rows: list[list[str]] = []
    total = 0
    for row, repeat in _rows(table):
        cells: list[str] = []
        for cell, columns in _cells(row):
            text = "\n".join(_text(p) for p in cell.iter(f"{_TEXT}p"))
            if len(cells) + columns > MAX_CELLS and text:
                raise MediaRefused(Refusal.TOO_COMPLEX)
            cells.extend([text] * (columns if text else min(columns, 1)))
        if any(cells):
            total += len(cells) * repeat
            if total > MAX_CELLS:
                raise MediaRefused(Refusal.TOO_COMPLEX)
            rows.extend([cells] * repeat)
    return rows


def _repeat(element: Element, attribute: str) -> int:
    value = element.get(f"{_TABLE}{attribute}", "1")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _rows(table: Element) -> list[tuple[Element, int]]:
    found = []
    for child in table:
        if child.tag == f"{_TABLE}table-row":
            found.append((child, _repeat(child, "number-rows-repeated")))
        elif child.tag in (
            f"{_TABLE}table-header-rows",
            f"{_TABLE}table-rows",
            f"{_TABLE}table-row-group",
        ):
            found.extend(_rows(child))
    return found


def _cells(row: Element) -> list[tuple[Element, int]]:
    return [
        (cell, _repeat(cell, "number-columns-repeated"))
        for cell in row
        if cell.tag in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
    ]


# ODS ---------------------------------------------------------------------------------


def read_ods(archive: Archive) -> Workbook:
    workbook = Workbook()
    total = 0
    for table in _content(archive, "spreadsheet").findall(f"{_TABLE}table"):
        if len(workbook.sheets) >= MAX_SHEETS:
            raise MediaRefused(Refusal.TOO_COMPLEX)
        sheet = Sheet(table.get(f"{_TABLE}name") or f"Sheet{len(workbook.sheets) + 1}")
        row_index = 0
        for row, row_repeat in _rows(table):
            values: list[tuple[int, Value]] = []
            column = 0
            for cell, column_repeat in _cells(row):
                value = _cell_value(cell)
                if value is not None:
                    if len(values) + column_repeat > MAX_CELLS:
                        raise MediaRefused(Refusal.TOO_COMPLEX)
                    values.extend((column + n, value) for n in range(column_repeat))
                column += column_repeat
            if values:
                total += len(values) * row_repeat
                if total > MAX_CELLS:
                    raise MediaRefused(Refusal.TOO_COMPLEX)
                for n in range(row_repeat):
                    for col, value in values:
                        sheet.cells[(row_index + n, col)] = value
            row_index += row_repeat
        workbook.sheets.append(sheet)
    return workbook


def _cell_value(cell: Element) -> Value | None:
    kind = cell.get(f"{_OFFICE}value-type")
    if kind in ("float", "percentage", "currency"):
        raw = cell.get(f"{_OFFICE}value", "")
        try:
            number = float(raw)
        except ValueError:
            return None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "boolean":
        return cell.get(f"{_OFFICE}boolean-value") == "true"
    if kind == "date":
        return cell.get(f"{_OFFICE}date-value", "").replace("T", " ")[:16] or None
    if kind == "time":
        return cell.get(f"{_OFFICE}time-value") or None
    text = "\n".join(_text(p) for p in cell.findall(f"{_TEXT}p"))
    return text or None
