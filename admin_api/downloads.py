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
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ ()-]+")

DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def fallback_name(attachment_id: int, mime_type: str) -> str:
    extension = mimetypes.guess_extension(mime_type) or ""
    return f"attachment-{attachment_id}{extension}"


def content_disposition(filename: str | None, fallback: str) -> str:
    # Keep the last path part only, without control characters or surrounding dots.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip(" .")[:MAX_NAME]
    if not name:
        name = fallback
    plain = _UNSAFE_ASCII.sub("_", name).strip(" ._") or fallback
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
