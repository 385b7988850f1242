"""Office files (DOCX, XLSX, ODT, ODS) are ZIP archives of XML: rewritten without people.

The document properties (author, last editor, company, dates, editing time) are replaced
with empty ones; names and dates on comments and tracked changes are blanked; embedded
photos lose their EXIF; every entry gets the same neutral timestamp. Embedded objects and
macros cannot be inspected and are refused, as are the old binary formats (.doc, .xls),
whose properties live in a structure this product does not rewrite.
"""

from __future__ import annotations

import io
import re
import zipfile

from storage.media.images import UnreadableImage, strip_image_metadata
from storage.media.types import JPEG, PNG, MediaRefused, Refusal, real_type

# A small document that unfolds into gigabytes is refused before it is unpacked.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
_NEUTRAL_TIME = (1980, 1, 1, 0, 0, 0)

_EMPTY_PARTS = {
    "docProps/core.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
    b'metadata/core-properties"/>',
    "docProps/app.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'extended-properties"/>',
    "docProps/custom.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'custom-properties"/>',
    "meta.xml": b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    b' office:version="1.2"><office:meta/></office:document-meta>',
}
# Who and when, wherever they are written down inside the content.
_PERSON_ATTRIBUTES = re.compile(
    rb'\b([\w]+:(?:author|initials|date|dateUtc|userId|providerId))="[^"]*"'
)
_PERSON_ELEMENTS = re.compile(rb"<((?:dc:creator|dc:date|meta:creator-initials|author))>[^<]*</\1>")
_REFUSED_PARTS = re.compile(r"(^|/)(embeddings|activeX|Object \d+)/|vbaProject|\.bin$", re.I)


def clean_office(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            entries = source.infolist()
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
                raise MediaRefused(Refusal.UNREADABLE)
            if any(_REFUSED_PARTS.search(entry.filename) for entry in entries):
                raise MediaRefused(Refusal.EMBEDDED_OBJECTS)
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as target:
                for entry in entries:
                    if entry.is_dir():
                        continue
                    body = _clean_part(entry.filename, source.read(entry))
                    info = zipfile.ZipInfo(entry.filename, date_time=_NEUTRAL_TIME)
                    # ODF requires its "mimetype" entry stored first and uncompressed.
                    info.compress_type = (
                        zipfile.ZIP_STORED if entry.filename == "mimetype" else zipfile.ZIP_DEFLATED
                    )
                    target.writestr(info, body)
    except MediaRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise MediaRefused(Refusal.UNREADABLE) from None
    return out.getvalue()


def _clean_part(name: str, body: bytes) -> bytes:
    if name in _EMPTY_PARTS:
        return _EMPTY_PARTS[name]
    if name.endswith((".xml", ".rels")):
        body = _PERSON_ATTRIBUTES.sub(rb'\1=""', body)
        return _PERSON_ELEMENTS.sub(rb"<\1></\1>", body)
    real = real_type(body)
    if real in (JPEG, PNG):
        try:
            return strip_image_metadata(body, real)
        except UnreadableImage:
            raise MediaRefused(Refusal.EMBEDDED_OBJECTS) from None
    if real is not None and real.startswith("image/"):
        # TIFF, WebP and the rest may carry EXIF this module does not rewrite.
        raise MediaRefused(Refusal.EMBEDDED_OBJECTS)
    return body
