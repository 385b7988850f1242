"""Handing files to a browser safely: attachments, and exports as they stream.

Always ``attachment``, never ``inline`` (the console shows photos inline, under the same
sandboxing policy): a file a reporter sent must not render inside the API's origin. The
name and type come from what the file was detected and rebuilt as (``document-3.pdf``,
see :func:`storage.services.attachments.served_name`), never from the reporter: their
file name is not kept, and an ``.hta`` called "text/plain" is served as ``.txt``.
"""

from __future__ import annotations

import re

from fastapi.responses import StreamingResponse

from storage.services.exports import Export

DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}
_SAFE_NAME = re.compile(r"^[a-z]+-\d+\.[a-z0-9]+$")


def content_disposition(name: str) -> str:
    # Made by us from a kind, a number and an extension; checked all the same, as a
    # header is no place for anything else.
    return f'attachment; filename="{name if _SAFE_NAME.match(name) else "file.bin"}"'


def export_response(export: Export) -> StreamingResponse:
    """An export (checked and recorded already) streamed as a download."""
    return StreamingResponse(
        export.chunks(),
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            **DOWNLOAD_HEADERS,
        },
    )
