"""Optimistic concurrency over HTTP: the case version as ``ETag``, required back as
``If-Match`` on a change (RFC 9110 §13.1.1; 428 Precondition Required, RFC 6585).

``"3"``, ``3`` and ``W/"3"`` all name version 3: clients and proxies differ in how they
quote, and a weak validator is exact enough since versions only grow. ``*`` means "any
current version" (RFC 9110 §13.1.1): the client knowingly overwrites.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header

from admin_api.errors import ApiError

IF_MATCH_PATTERN = r'^(W/)?"[0-9]{1,9}"$|^[0-9]{1,9}$|^\*$'
ANY_VERSION = "*"
_VERSION = re.compile(r"[0-9]+")

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=IF_MATCH_PATTERN,
        description='The case version from its ETag: "3", 3 or W/"3"; * for any. Required.',
    ),
]

ETAG_HEADER: dict[str, Any] = {
    "ETag": {
        "description": 'The case version, e.g. "3"; send it back as If-Match.',
        "schema": {"type": "string"},
    }
}


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match names, None for ``*``; 428 without one (the header's
    pattern was checked)."""
    if if_match is None:
        raise ApiError(
            428,
            "if_match_required",
            'Send If-Match with the version from the case\'s ETag, e.g. If-Match: "3".',
        )
    if if_match.strip() == ANY_VERSION:
        return None
    match = _VERSION.search(if_match)
    assert match is not None
    return int(match.group())
