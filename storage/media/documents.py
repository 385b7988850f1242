"""Documents lose author, device and time metadata; what cannot be cleaned is refused.

- PDF: the document information dictionary (``/Author``, ``/Producer``, dates) and XMP go;
  pages are copied into a new file so nothing unreachable survives; embedded JPEG scans
  lose their EXIF segments. Encrypted PDFs cannot be inspected and are refused.
- RTF: the ``{\\info ...}`` group (author, operator, company, times) goes.
- Plain text carries no metadata.
- Office files (see :mod:`storage.media.office`).
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import DictionaryObject, NameObject, StreamObject

from storage.media.images import strip_jpeg_segments
from storage.media.types import MediaRefused, Refusal

_PAGE_METADATA = ("/Metadata", "/PieceInfo", "/LastModified")


def clean_pdf(data: bytes) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise MediaRefused(Refusal.ENCRYPTED)
        writer = PdfWriter()
        for page in reader.pages:
            copied = writer.add_page(page)
            for key in _PAGE_METADATA:
                copied.pop(NameObject(key), None)
            _clean_images(copied.get("/Resources"), seen=set())
        writer.metadata = None
        out = io.BytesIO()
        writer.write(out)
    except MediaRefused:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError, AttributeError):
        raise MediaRefused(Refusal.UNREADABLE) from None
    return out.getvalue()


def _clean_images(resources: object, seen: set[int]) -> None:
    """Strip EXIF from JPEG images (and inside form XObjects), however deep."""
    resources = _resolve(resources)
    if not isinstance(resources, DictionaryObject):
        return
    xobjects = _resolve(resources.get("/XObject"))
    if not isinstance(xobjects, DictionaryObject):
        return
    for ref in xobjects.values():
        obj = _resolve(ref)
        if not isinstance(obj, StreamObject) or id(obj) in seen:
            continue
        seen.add(id(obj))
        obj.pop(NameObject("/Metadata"), None)
        if obj.get("/Subtype") == "/Form":
            _clean_images(obj.get("/Resources"), seen)
        elif obj.get("/Subtype") == "/Image" and _filters(obj) == ["/DCTDecode"]:
            # The raw stream is the JPEG file itself; rewriting it keeps the pixels as they were.
            obj._data = strip_jpeg_segments(obj._data)


def _filters(obj: StreamObject) -> list[str]:
    value = _resolve(obj.get("/Filter"))
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _resolve(value: object) -> object:
    get_object = getattr(value, "get_object", None)
    return get_object() if get_object is not None else value


# Groups that name people or times: document info, revision authors, comment authors.
_RTF_GROUPS = (b"{\\info", b"{\\*\\revtbl", b"{\\*\\atnauthor", b"{\\*\\atnid", b"{\\*\\atndate")


def clean_rtf(data: bytes) -> bytes:
    """Drop metadata groups by matching braces (RTF escapes literal braces as ``\\{``)."""
    for opener in _RTF_GROUPS:
        start = data.find(opener)
        while start != -1:
            data = data[:start] + data[_group_end(data, start) :]
            start = data.find(opener)
    if re.search(rb"\\(author|operator|company|creatim|revtim|printim)\b", data):
        raise MediaRefused(Refusal.UNREADABLE)
    return data


def _group_end(data: bytes, start: int) -> int:
    depth, i = 0, start
    while i < len(data):
        byte = data[i]
        if byte == 0x5C:  # backslash: the next byte is escaped
            i += 2
            continue
        if byte == 0x7B:
            depth += 1
        elif byte == 0x7D:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise MediaRefused(Refusal.UNREADABLE)


def clean_text(data: bytes) -> bytes:
    if not data.strip():
        raise MediaRefused(Refusal.UNREADABLE)
    return data
