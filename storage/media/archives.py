"""Reading office archives (ZIP) with the work bounded before anything is inflated.

A DOCX, XLSX, ODT or ODS is a ZIP of XML parts. A few hundred kilobytes of ZIP can
declare, or simply hold, gigabytes: one test ODT took a gigabyte of memory for its
``mimetype`` entry (issue 18 §3). So the table of contents is checked first (how many
entries, how large each says it is, how far each is compressed), and every read stops at
the size the entry declared and at a cap, whatever the compressed data would unfold into
(``zipfile`` itself inflates a whole entry on ``read()``, even past its declared size).

XML is parsed with ``defusedxml`` and no document type allowed: OOXML and ODF never
carry one, and a DTD is how entity expansion ("billion laughs") and external entities
get in. The parser refuses it whatever the encoding (a byte search would miss UTF-16).
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from storage.media.types import ZIP_ERRORS, MediaRefused, Refusal

MAX_ENTRIES = 2_000
# Any one part; the text of a 20 MB document is far smaller.
MAX_ENTRY_BYTES = 48 * 1024 * 1024
# Everything read from one archive together.
MAX_TOTAL_BYTES = 128 * 1024 * 1024
# XML compresses 5-20 times, a spreadsheet's shared strings up to about 50; zeros or
# repeated text, 1000 times. Small entries may compress as they like.
MAX_RATIO = 100
RATIO_CHECKED_FROM = 1024 * 1024


class Archive:
    """A ZIP whose table of contents passed the checks; parts are read with a cap."""

    def __init__(self, data: bytes) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except ZIP_ERRORS:
            raise MediaRefused(Refusal.UNREADABLE) from None
        if len(infos) > MAX_ENTRIES:
            raise MediaRefused(Refusal.TOO_COMPLEX)
        if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
            raise MediaRefused(Refusal.TOO_COMPLEX)
        for info in infos:
            if info.file_size > MAX_ENTRY_BYTES:
                raise MediaRefused(Refusal.TOO_COMPLEX)
            if info.file_size > RATIO_CHECKED_FROM and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise MediaRefused(Refusal.TOO_COMPLEX)
            if info.flag_bits & 0x1:
                raise MediaRefused(Refusal.ENCRYPTED)
        self._infos = {info.filename: info for info in infos if not info.is_dir()}
        self._read = 0

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self._zip.close()

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """The entry, never more than it declared (a lying entry is refused)."""
        info = self._infos.get(name)
        if info is None:
            raise MediaRefused(Refusal.UNREADABLE)
        limit = info.file_size
        if self._read + limit > MAX_TOTAL_BYTES:
            raise MediaRefused(Refusal.TOO_COMPLEX)
        try:
            with self._zip.open(info) as member:
                # read(n) inflates at most n bytes at a time; past the declared size
                # zipfile stops and checks the CRC, which a lying entry fails.
                body = member.read(limit + 1)
        except ZIP_ERRORS:
            raise MediaRefused(Refusal.UNREADABLE) from None
        if len(body) > limit:
            raise MediaRefused(Refusal.TOO_COMPLEX)
        self._read += len(body)
        return body

    def xml(self, name: str) -> Element:
        return parse_xml(self.read(name))


def parse_xml(body: bytes) -> Element:
    """Parse one XML part; a part with a document type is refused."""
    try:
        return fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise MediaRefused(Refusal.UNREADABLE) from None
