"""Signed keyset cursors, for every paged list (the worklist, the audit trail).

A cursor carries the sort-key values of the last row of a page and a fingerprint of
the query that produced it, encrypted and authenticated (AES-GCM, the list's purpose
bound in): the values hold internal keys and times, which would tell how many cases or
events exist, so a reader sees only an opaque string. A tampered cursor,
one from another list, or one reused with other filters (or by a reader who sees
other rows) is refused with :class:`InvalidCursor`, never trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime
from typing import Any

from storage.crypto import Crypto, DecryptionError
from storage.errors import InvalidCursor


def fingerprint(*parts: Any) -> str:
    """A short digest of what a query is (filters, sort, what the reader may see)."""
    described = json.dumps(list(parts), default=str, sort_keys=True)
    return hashlib.sha256(described.encode()).hexdigest()[:16]


class CursorCodec:
    """Encodes and checks the cursors of one list (``purpose`` keeps lists apart)."""

    def __init__(self, crypto: Crypto, purpose: str) -> None:
        self.crypto = crypto
        self.purpose = purpose

    def encode(self, values: list[Any], query: str) -> str:
        """A cursor continuing after the row whose sort key is ``values``."""
        payload = json.dumps(
            {"f": query, "v": [_to_json(v) for v in values]}, separators=(",", ":")
        ).encode()
        sealed = self.crypto.encrypt(payload, self._context)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    @property
    def _context(self) -> str:
        return f"cursor:{self.purpose}"

    def decode(self, cursor: str, query: str) -> list[Any]:
        """The sort-key values in ``cursor``, if it is genuine and belongs to ``query``."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload = self.crypto.decrypt(raw, self._context)
        except (binascii.Error, ValueError, DecryptionError):
            raise InvalidCursor() from None
        try:
            data = json.loads(payload)
            if data["f"] != query or not isinstance(data["v"], list):
                raise InvalidCursor()
            return [_from_json(v) for v in data["v"]]
        except (KeyError, TypeError, ValueError):
            raise InvalidCursor() from None


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        return datetime.fromisoformat(value["t"])
    return value
