"""The text of an RTF file, and nothing else of it.

RTF is where Office exploits travel (``\\object`` with ``\\objdata``: an OLE object run
by the equation editor, CVE-2017-11882), besides fields that fetch pictures from
addresses and an ``\\info`` group naming the author. Rather than strip what is known to
be dangerous, the reader keeps what is known to be text: characters of the body (in the
file's code page, or ``\\u`` Unicode), paragraph and line breaks, tabs and table cells.
Every destination that is not body text (fonts, styles, info, pictures, objects, field
instructions, headers, comments, anything marked ``\\*``) is skipped with its group.
It is a single pass over the bytes with a bounded nesting depth.
"""

from __future__ import annotations

import codecs
import re

from storage.media.rebuild import Document, Paragraph
from storage.media.types import MediaRefused, Refusal

MAX_DEPTH = 200
_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?"  # control word, optional parameter
    rb"|\\'([0-9a-fA-F]{2})"  # a byte in the code page
    rb"|\\([^a-zA-Z'])"  # control symbol
    rb"|([{}])"
    rb"|[\r\n]+"
    rb"|([^\\{}\r\n]+)"
)
_SKIPPED = {
    b"fonttbl", b"colortbl", b"stylesheet", b"info", b"pict", b"object", b"objdata",
    b"objclass", b"header", b"headerl", b"headerr", b"headerf", b"footer", b"footerl",
    b"footerr", b"footerf", b"footnote", b"annotation", b"atnauthor", b"atnid", b"atndate",
    b"xe", b"tc", b"txe", b"rxe", b"fldinst", b"listtable", b"listoverridetable",
    b"rsidtbl", b"generator", b"themedata", b"colorschememapping", b"datastore",
    b"latentstyles", b"xmlnstbl", b"revtbl", b"filetbl", b"bkmkstart", b"bkmkend",
    b"shppict", b"nonshppict", b"shpinst", b"sp", b"sn", b"sv", b"private", b"userprops",
    b"docvar", b"template", b"result", b"objalias", b"objsect", b"mmathPr", b"pgdsctbl",
}  # fmt: skip
_BREAKS = {b"par": "\n", b"line": "\n", b"sect": "\n", b"page": "\n", b"row": "\n"}
_CHARACTERS = {
    b"tab": "\t",
    b"cell": "\t",
    b"emdash": "\u2014",
    b"endash": "\u2013",
    b"bullet": "\u2022",
    b"lquote": "\u2018",
    b"rquote": "\u2019",
    b"ldblquote": "\u201c",
    b"rdblquote": "\u201d",
}
_SYMBOLS = {b"\\": "\\", b"{": "{", b"}": "}", b"~": "\u00a0", b"_": "-", b"-": ""}


def read_rtf(data: bytes) -> Document:
    return Document([Paragraph(text=line) for line in rtf_text(data).split("\n")])


def rtf_text(data: bytes) -> str:
    out: list[str] = []
    pending = bytearray()  # code-page bytes waiting to be decoded together (DBCS pages)
    codepage = "cp1252"
    stack: list[tuple[bool, int]] = []
    skip, uc, fallback = False, 1, 0

    def flush() -> None:
        if pending:
            out.append(pending.decode(codepage, "replace"))
            pending.clear()

    position = 0
    while position < len(data):
        token = _TOKEN.match(data, position)
        if token is None:
            raise MediaRefused(Refusal.UNREADABLE)
        position = token.end()
        word, parameter, hexbyte, symbol, brace, text = token.groups()
        if brace == b"{":
            if len(stack) >= MAX_DEPTH:
                raise MediaRefused(Refusal.TOO_COMPLEX)
            stack.append((skip, uc))
            continue
        if brace == b"}":
            if not stack:
                break  # the end of the document; anything after it is not RTF
            skip, uc = stack.pop()
            fallback = 0
            continue
        if word == b"bin" and parameter:
            position += max(int(parameter), 0)  # raw binary data, never text
            continue
        if skip:
            continue
        if symbol == b"*" or word in _SKIPPED:
            skip = True
            continue
        if word is not None:
            number = int(parameter) if parameter else None
            if word == b"ansicpg" and number is not None:
                flush()
                codepage = _codepage(number, codepage)
            elif word == b"uc" and number is not None:
                uc = max(0, min(number, 10))
            elif word == b"u" and number is not None:
                flush()
                out.append(chr(number + 65536 if number < 0 else number))
                fallback = uc
            elif word in _BREAKS:
                flush()
                out.append(_BREAKS[word])
            elif word in _CHARACTERS:
                flush()
                out.append(_CHARACTERS[word])
            continue
        if hexbyte is not None:
            if fallback:
                fallback -= 1
            else:
                pending.append(int(hexbyte, 16))
            continue
        if symbol is not None:
            flush()
            out.append(_SYMBOLS.get(symbol, ""))
            continue
        if text is not None:
            if fallback:
                dropped = min(fallback, len(text))
                text, fallback = text[dropped:], fallback - dropped
            pending.extend(text)
    flush()
    return "".join(out)


def _codepage(number: int, current: str) -> str:
    name = f"cp{number}"
    try:
        codecs.lookup(name)
    except LookupError:
        return current
    return name
