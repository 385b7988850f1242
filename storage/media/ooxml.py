"""What a DOCX or an XLSX says: its paragraphs, tables and pictures, or its cell values.

Only the main part is read (``word/document.xml``; the workbook and its sheets), with the
pictures its own relationships name inside the archive. Everything else in the package,
whatever it is (properties, comments, people, custom XML, settings with their template,
external links, OLE objects, ActiveX, macros, fonts, headers), is never opened, so it
cannot reach the rebuilt file (:mod:`storage.media.rebuild`).

Within the document, what a reader sees is taken: text of runs (tracked insertions
included, tracked deletions and field instructions not), tabs and breaks, hyperlinks'
text without their address, tables, inline pictures. Within a sheet, each cell's value
(a formula's last computed value, never the formula); dates written as dates.
"""

from __future__ import annotations

import posixpath
import re
from datetime import UTC, datetime, timedelta
from xml.etree.ElementTree import Element

from storage.media.archives import Archive
from storage.media.images import clean_picture
from storage.media.rebuild import Document, Paragraph, Picture, Sheet, Table, Value, Workbook
from storage.media.types import MediaRefused, Refusal

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_V = "{urn:schemas-microsoft-com:vml}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

# Past these a document is more than anyone reads in a report: refused, not cut short.
MAX_PICTURES = 50
MAX_CELLS = 200_000
MAX_SHEETS = 50
MAX_NESTING = 64


def relationships(archive: Archive, part: str) -> dict[str, str]:
    """Internal targets of ``part``'s relationships by id (external ones are left out)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in archive:
        return {}
    targets = {}
    for rel in archive.xml(rels).iter(f"{_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or "://" in target or target.startswith("\\"):
            continue
        resolved = posixpath.normpath(
            target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        )
        targets[rel.get("Id", "")] = resolved
    return targets


class _Pictures:
    """Pictures of one document, each read and cleaned once, counted against the cap."""

    def __init__(self, archive: Archive, targets: dict[str, str]) -> None:
        self.archive = archive
        self.targets = targets
        self.count = 0

    def get(self, rid: str | None) -> Picture | None:
        target = self.targets.get(rid or "")
        if target is None or target not in self.archive:
            return None
        self.count += 1
        if self.count > MAX_PICTURES:
            raise MediaRefused(Refusal.TOO_COMPLEX)
        cleaned = clean_picture(self.archive.read(target))
        if cleaned is None:
            return None
        data, mime_type, width, height = cleaned
        return Picture(data, mime_type, width, height)


# DOCX --------------------------------------------------------------------------------


def read_docx(archive: Archive) -> Document:
    part = _main_document(archive)
    root = archive.xml(part)
    body = root.find(f"{_W}body")
    pictures = _Pictures(archive, relationships(archive, part))
    document = Document()
    if body is not None:
        _blocks(body, document.blocks, pictures, depth=0)
    return document


def _main_document(archive: Archive) -> str:
    for target in relationships(archive, "_rels/.rels").values():
        if target.startswith("word/") and target.endswith(".xml") and target in archive:
            return target
    if "word/document.xml" in archive:
        return "word/document.xml"
    raise MediaRefused(Refusal.UNREADABLE)


def _blocks(
    parent: Element, out: list[Paragraph | Table], pictures: _Pictures, *, depth: int
) -> None:
    if depth > MAX_NESTING:
        raise MediaRefused(Refusal.TOO_COMPLEX)
    for child in parent:
        if child.tag == f"{_W}p":
            out.append(_paragraph(child, pictures))
        elif child.tag == f"{_W}tbl":
            out.append(_table(child))
        elif child.tag in (f"{_W}sdt", f"{_W}customXml", f"{_W}ins", f"{_W}smartTag"):
            content = child.find(f"{_W}sdtContent")
            _blocks(content if content is not None else child, out, pictures, depth=depth + 1)


def _paragraph(paragraph: Element, pictures: _Pictures) -> Paragraph:
    out = Paragraph(text=_text(paragraph))
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    out.heading = style is not None and "heading" in (style.get(f"{_W}val") or "").lower()
    for blip in paragraph.iter(f"{_A}blip"):
        picture = pictures.get(blip.get(f"{_R}embed"))
        if picture is not None:
            out.pictures.append(picture)
    for image in paragraph.iter(f"{_V}imagedata"):
        picture = pictures.get(image.get(f"{_R}id"))
        if picture is not None:
            out.pictures.append(picture)
    return out


def _text(element: Element) -> str:
    """What a reader sees of ``element``: runs' text, tabs and breaks; deleted text and
    field instructions are not shown, so they are not taken."""
    pieces = []
    for node in element.iter():
        if node.tag == f"{_W}t" and node.text:
            pieces.append(node.text)
        elif node.tag in (f"{_W}tab", f"{_W}ptab"):
            pieces.append("\t")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            pieces.append("\n")
        elif node.tag == f"{_W}noBreakHyphen":
            pieces.append("-")
    return "".join(pieces)


def _table(table: Element) -> Table:
    rows = []
    for row in table.findall(f"{_W}tr"):
        cells = []
        for cell in row.findall(f"{_W}tc"):
            cells.append("\n".join(_text(p) for p in cell.iter(f"{_W}p")).strip())
        rows.append(cells)
    return Table(rows)


# XLSX --------------------------------------------------------------------------------

_REF = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")
# Built-in number formats that show a date or a time (ECMA-376 §18.8.30).
_DATE_FORMATS = {*range(14, 23), *range(45, 48)}
_DATE_CODE = re.compile(r"[dmyhs]", re.I)
_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)


def read_xlsx(archive: Archive) -> Workbook:
    book_part = next(
        (
            target
            for target in relationships(archive, "_rels/.rels").values()
            if target.startswith("xl/") and target in archive
        ),
        "xl/workbook.xml",
    )
    if book_part not in archive:
        raise MediaRefused(Refusal.UNREADABLE)
    book = archive.xml(book_part)
    targets = relationships(archive, book_part)
    folder = posixpath.dirname(book_part)
    shared = _shared_strings(archive, posixpath.join(folder, "sharedStrings.xml"))
    dates = _date_styles(archive, posixpath.join(folder, "styles.xml"))
    workbook = Workbook()
    cells = 0
    for entry in book.iter(f"{_S}sheet"):
        target = targets.get(entry.get(f"{_R}id") or "")
        if target is None or target not in archive:
            continue
        if len(workbook.sheets) >= MAX_SHEETS:
            raise MediaRefused(Refusal.TOO_COMPLEX)
        sheet = Sheet(entry.get("name") or f"Sheet{len(workbook.sheets) + 1}")
        for ref, value in _sheet_values(archive.xml(target), shared, dates):
            cells += 1
            if cells > MAX_CELLS:
                raise MediaRefused(Refusal.TOO_COMPLEX)
            sheet.cells[ref] = value
        workbook.sheets.append(sheet)
    return workbook


def _shared_strings(archive: Archive, part: str) -> list[str]:
    if part not in archive:
        return []
    strings = []
    for item in archive.xml(part).iter(f"{_S}si"):
        # Plain text, or rich-text runs; phonetic guides (rPh) are a reading aid only.
        pieces = []
        for child in item:
            if child.tag == f"{_S}t":
                pieces.append(child.text or "")
            elif child.tag == f"{_S}r":
                pieces.extend(t.text or "" for t in child.findall(f"{_S}t"))
        strings.append("".join(pieces))
    return strings


def _date_styles(archive: Archive, part: str) -> set[int]:
    """Indexes of cell styles whose number format shows a date."""
    if part not in archive:
        return set()
    styles = archive.xml(part)
    custom = {
        int(fmt.get("numFmtId", "-1")): fmt.get("formatCode", "")
        for fmt in styles.iter(f"{_S}numFmt")
    }
    xfs = styles.find(f"{_S}cellXfs")
    found = set()
    for index, xf in enumerate(xfs if xfs is not None else []):
        number = int(xf.get("numFmtId", "0") or 0)
        code = re.sub(r'"[^"]*"|\[[^\]]*\]', "", custom.get(number, ""))
        if number in _DATE_FORMATS or (number in custom and _DATE_CODE.search(code)):
            found.add(index)
    return found


def _sheet_values(
    sheet: Element, shared: list[str], dates: set[int]
) -> list[tuple[tuple[int, int], Value]]:
    values: list[tuple[tuple[int, int], Value]] = []
    for row_number, row in enumerate(sheet.iter(f"{_S}row")):
        row_index = int(row.get("r", row_number + 1)) - 1
        for column_number, cell in enumerate(row.findall(f"{_S}c")):
            match = _REF.match(cell.get("r", ""))
            column = _column_index(match.group(1)) if match else column_number
            value = _cell_value(cell, shared, dates)
            if value is not None and value != "":
                values.append(((row_index, column), value))
    return values


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _cell_value(cell: Element, shared: list[str], dates: set[int]) -> Value | None:
    kind = cell.get("t", "n")
    raw = cell.findtext(f"{_S}v")
    if kind == "inlineStr":
        inline = cell.find(f"{_S}is")
        return "".join(t.text or "" for t in inline.iter(f"{_S}t")) if inline is not None else None
    if raw is None:
        return None
    if kind == "s":
        index = int(raw) if raw.isdigit() else -1
        return shared[index] if 0 <= index < len(shared) else None
    if kind in ("str", "e"):
        return raw
    if kind == "b":
        return raw == "1"
    try:
        number = float(raw)
    except ValueError:
        return raw
    style = int(cell.get("s", "0") or 0)
    if style in dates and 0 <= number < 2_958_466:  # up to 9999-12-31
        moment = _EXCEL_EPOCH + timedelta(days=number)
        return moment.strftime("%Y-%m-%d %H:%M" if number % 1 else "%Y-%m-%d")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number
