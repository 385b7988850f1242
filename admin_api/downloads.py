"""Headers for handing an attachment to a browser safely.

Always ``attachment``, never ``inline``: a file a reporter sent must not render inside
the API's origin. The file name is the reporter's and may hold anything (quotes, line
breaks, path parts, any script), so it is reduced to a plain ASCII ``filename`` and
given in full only as a percent-encoded ``filename*`` (RFC 6266).
"""

from __future__ import annotations

import mimetypes
import re
from urllib.parse import quote

MAX_NAME = 150
MAX_EXTENSION = 10
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ ()-]+")

DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def content_disposition(filename: str | None, attachment_id: str, mime_type: str) -> str:
    # Keep the last path part only, without control characters or surrounding dots.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip(" .")[:MAX_NAME]
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    plain_stem = _UNSAFE_ASCII.sub("_", stem).strip(" ._")
    plain_extension = re.sub(r"[^A-Za-z0-9]", "", extension)[:MAX_EXTENSION]
    if not plain_extension:
        plain_extension = (mimetypes.guess_extension(mime_type) or "").lstrip(".")
    if not any(ch.isalnum() for ch in plain_stem):
        # Nothing readable survives (a name in Cyrillic, say): a neutral one instead.
        plain_stem = f"attachment-{attachment_id}"
    plain = f"{plain_stem}.{plain_extension}" if plain_extension else plain_stem
    disposition = f'attachment; filename="{plain}"'
    if name:
        disposition += f"; filename*=UTF-8''{quote(name, safe='')}"
    return disposition
