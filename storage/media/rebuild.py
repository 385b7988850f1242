"""Office files written anew from an allow-list of parts: text, tables, pictures, cells.

There is no office suite on the servers to render a document, and no way to prove a
cleaned copy of one harmless: a DOCX can fetch a template from a network share, an
OLE object from an address, run a macro; an XLSX can name the people who commented on
it. So what a reader takes from a document (:mod:`storage.media.ooxml`,
:mod:`storage.media.odf`, :mod:`storage.media.rtf`) is only its paragraphs, tables and
pictures, or its sheets' cell values, and this module writes a new file of them from
fixed templates: one main part, its relationships (pictures only, inside the file), and
nothing else. No property, author, time, style, comment, link, field, object or macro
can survive, because none is ever written.

Word-processing documents (DOCX, ODT, RTF) become DOCX; spreadsheets (XLSX, ODS)
become XLSX, with every string written as inline text (never a formula).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from storage.media.types import JPEG, PNG

# Neutral and fixed: entry times would otherwise be the moment of cleaning.
_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
# XML 1.0 cannot hold most control characters; they carry nothing a reader sees.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A page is about 6 inches wide between margins; pictures are shown at most that wide.
_EMU_PER_INCH = 914_400
_MAX_PICTURE_EMU = 6 * _EMU_PER_INCH


@dataclass(frozen=True)
class Picture:
    data: bytes  # already through the image cleaner
    mime_type: str  # JPEG or PNG
    width: int
    height: int


@dataclass
class Paragraph:
    text: str = ""
    pictures: list[Picture] = field(default_factory=list)
    heading: bool = False


@dataclass
class Table:
    rows: list[list[str]] = field(default_factory=list)


Block = Paragraph | Table


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)

    def text(self) -> str:
        lines: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                lines.append(block.text)
            else:
                lines.extend("\t".join(row) for row in block.rows)
        return "\n".join(line for line in lines if line.strip())


Value = str | int | float | bool


@dataclass
class Sheet:
    name: str
    cells: dict[tuple[int, int], Value] = field(default_factory=dict)  # (row, column) from 0


@dataclass
class Workbook:
    sheets: list[Sheet] = field(default_factory=list)

    def text(self) -> str:
        lines = []
        for sheet in self.sheets:
            rows: dict[int, list[tuple[int, Value]]] = {}
            for (row, column), value in sheet.cells.items():
                rows.setdefault(row, []).append((column, value))
            for row in sorted(rows):
                lines.append("\t".join(str(v) for _, v in sorted(rows[row])))
        return "\n".join(lines)


def xml_text(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


def _package(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in parts.items():
            info = zipfile.ZipInfo(name, date_time=_ENTRY_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)
    return out.getvalue()


# DOCX --------------------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EXTENSIONS = {JPEG: "jpeg", PNG: "png"}


def _content_types(overrides: dict[str, str]) -> bytes:
    defaults = (
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="jpeg" ContentType="image/jpeg"/>'
        '<Default Extension="png" ContentType="image/png"/>'
    )
    parts = "".join(
        f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in overrides.items()
    )
    return f'{_HEAD}<Types xmlns="{_CT}">{defaults}{parts}</Types>'.encode()


def _relationships(targets: list[tuple[str, str, str]]) -> bytes:
    rels = "".join(
        f'<Relationship Id="{rid}" Type="{_R}/{kind}" Target="{target}"/>'
        for rid, kind, target in targets
    )
    return f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{rels}</Relationships>'.encode()


def _run(text: str, *, bold: bool = False) -> str:
    out = []
    properties = "<w:rPr><w:b/></w:rPr>" if bold else ""
    for n, line in enumerate(text.split("\n")):
        if n:
            out.append("<w:r><w:br/></w:r>")
        for m, piece in enumerate(line.split("\t")):
            if m:
                out.append("<w:r><w:tab/></w:r>")
            if piece:
                out.append(
                    f'<w:r>{properties}<w:t xml:space="preserve">{xml_text(piece)}</w:t></w:r>'
                )
    return "".join(out)


def _drawing(rid: str, number: int, picture: Picture) -> str:
    # Shown at 96 dpi, scaled down to the page width.
    cx = picture.width * _EMU_PER_INCH // 96
    cy = picture.height * _EMU_PER_INCH // 96
    if cx > _MAX_PICTURE_EMU:
        cx, cy = _MAX_PICTURE_EMU, cy * _MAX_PICTURE_EMU // cx
    cx, cy = max(cx, 1), max(cy, 1)
    return (
        f'<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="{number}" name="Picture {number}"/>'
        f'<a:graphic><a:graphicData uri="{_PIC}"><pic:pic>'
        f'<pic:nvPicPr><pic:cNvPr id="{number}" name="Picture {number}"/><pic:cNvPicPr/>'
        f'</pic:nvPicPr><pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/>'
        f'</a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/>'
        f'<a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/>'
        f"</a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>"
        f"</w:drawing></w:r>"
    )


_CELL_BORDERS = "".join(
    f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="808080"/>'
    for side in ("top", "left", "bottom", "right", "insideH", "insideV")
)


def write_docx(document: Document) -> bytes:
    media: dict[str, bytes] = {}
    targets: list[tuple[str, str, str]] = []
    body: list[str] = []
    for block in document.blocks:
        if isinstance(block, Table):
            if not block.rows:
                continue
            width = max(len(row) for row in block.rows)
            rows = "".join(
                "<w:tr>"
                + "".join(
                    f"<w:tc><w:p>{_run(cell)}</w:p></w:tc>"
                    for cell in row + [""] * (width - len(row))
                )
                + "</w:tr>"
                for row in block.rows
            )
            grid = "<w:gridCol/>" * width
            body.append(
                f"<w:tbl><w:tblPr><w:tblBorders>{_CELL_BORDERS}</w:tblBorders></w:tblPr>"
                f"<w:tblGrid>{grid}</w:tblGrid>{rows}</w:tbl>"
            )
            continue
        runs = [_run(block.text, bold=block.heading)]
        for picture in block.pictures:
            number = len(media) + 1
            name = f"media/image{number}.{_EXTENSIONS[picture.mime_type]}"
            media[f"word/{name}"] = picture.data
            targets.append((f"rId{number}", "image", name))
            runs.append(_drawing(f"rId{number}", number, picture))
        body.append(f"<w:p>{''.join(runs)}</w:p>")
    main = (
        f'{_HEAD}<w:document xmlns:w="{_W}" xmlns:r="{_R}" xmlns:wp="{_WP}" xmlns:a="{_A}" '
        f'xmlns:pic="{_PIC}"><w:body>{"".join(body)}<w:sectPr/></w:body></w:document>'
    )
    parts = {
        "[Content_Types].xml": _content_types(
            {
                "word/document.xml": "application/vnd.openxmlformats-officedocument."
                "wordprocessingml.document.main+xml"
            }
        ),
        "_rels/.rels": _relationships([("rId1", "officeDocument", "word/document.xml")]),
        "word/document.xml": main.encode(),
        "word/_rels/document.xml.rels": _relationships(targets),
        **media,
    }
    return _package(parts)


# XLSX --------------------------------------------------------------------------------

_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def column_name(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _sheet_names(sheets: list[Sheet]) -> list[str]:
    names: list[str] = []
    for n, sheet in enumerate(sheets, start=1):
        name = _NOT_XML.sub("", _BAD_SHEET_NAME.sub("_", sheet.name)).strip("' ")[:31]
        if not name or name.casefold() in {x.casefold() for x in names}:
            name = f"Sheet{n}"
        names.append(name)
    return names


def _cell(ref: str, value: Value) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    # Inline text: a value like "=HYPERLINK(...)" stays text; no formula is ever written.
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{xml_text(value)}</t></is></c>'


def write_xlsx(workbook: Workbook) -> bytes:
    sheets = workbook.sheets or [Sheet("Sheet1")]
    names = _sheet_names(sheets)
    parts: dict[str, bytes] = {}
    overrides = {
        "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml."
        "sheet.main+xml"
    }
    entries, targets = [], []
    for n, (sheet, name) in enumerate(zip(sheets, names, strict=True), start=1):
        rows: dict[int, list[tuple[int, Value]]] = {}
        for (row, column), value in sheet.cells.items():
            rows.setdefault(row, []).append((column, value))
        xml_rows = "".join(
            f'<row r="{row + 1}">'
            + "".join(
                _cell(f"{column_name(column)}{row + 1}", value)
                for column, value in sorted(rows[row])
            )
            + "</row>"
            for row in sorted(rows)
        )
        part = f"xl/worksheets/sheet{n}.xml"
        parts[part] = (
            f'{_HEAD}<worksheet xmlns="{_S}"><sheetData>{xml_rows}</sheetData></worksheet>'
        ).encode()
        overrides[part] = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        )
        entries.append(f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>')
        targets.append((f"rId{n}", "worksheet", f"worksheets/sheet{n}.xml"))
    book = (
        f'{_HEAD}<workbook xmlns="{_S}" xmlns:r="{_R}"><sheets>{"".join(entries)}</sheets>'
        "</workbook>"
    )
    return _package(
        {
            "[Content_Types].xml": _content_types(overrides),
            "_rels/.rels": _relationships([("rId1", "officeDocument", "xl/workbook.xml")]),
            "xl/workbook.xml": book.encode(),
            "xl/_rels/workbook.xml.rels": _relationships(targets),
            **parts,
        }
    )
