"""The worst XLSForms storage/xlsform.py's limits let through: time and peak memory.

    python -m bench.xlsform

Each hostile workbook fills one sheet part up to MAX_PART_BYTES (packed, a few KB):
one row of tiny cells, empty rows, filled rows, one huge cell; and the good
three-question form for scale. Time is measured without tracing, memory in a second
run under tracemalloc (which slows it several times).
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

from storage.xlsform import MAX_PART_BYTES, XLSFormRefused, parse_xlsform
from tests.xlsform_samples import three_question_form

SHEET = "xl/worksheets/sheet1.xml"
OPEN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
CLOSE = b"</sheetData></worksheet>"


def with_sheet(chunk: bytes, head: bytes = b"", tail: bytes = b"") -> bytes:
    """The good form with its survey sheet replaced by ``chunk`` repeated to the cap."""
    good = three_question_form()
    out = io.BytesIO()
    room = MAX_PART_BYTES - len(OPEN + CLOSE + head + tail)
    with (
        zipfile.ZipFile(io.BytesIO(good)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for item in source.infolist():
            if item.filename != SHEET:
                archive.writestr(item, source.read(item.filename))
        archive.writestr(SHEET, OPEN + head + chunk * (room // len(chunk)) + tail + CLOSE)
    return out.getvalue()


def outcome(data: bytes) -> str:
    try:
        parse_xlsform(data)
    except XLSFormRefused as refused:
        return ",".join(sorted({p.code for p in refused.problems}))
    return "parsed"


def main() -> None:
    cell = b'<c t="inlineStr"><is><t>a</t></is></c>'
    cases = {
        "the three-question form": three_question_form(),
        "one row of tiny cells": with_sheet(cell, b"<row>", b"</row>"),
        "empty rows": with_sheet(b"<row/>"),
        "filled rows": with_sheet(b"<row>" + cell + b"</row>"),
        "one huge cell": with_sheet(b"a", b'<row><c t="inlineStr"><is><t>', b"</t></is></c></row>"),
    }
    print(f"{'file':26} {'packed':>8} {'time':>9} {'peak':>9}  outcome")
    for name, data in cases.items():
        start = time.perf_counter()
        result = outcome(data)
        took = time.perf_counter() - start
        tracemalloc.start()
        outcome(data)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{name:26} {len(data) / 1024:6.0f}KB {took * 1000:7.0f}ms {peak / 2**20:7.1f}MB"
            f"  {result}"
        )


if __name__ == "__main__":
    main()
