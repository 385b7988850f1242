"""Signed keyset cursors, for every paged list (the worklist, the audit trail).

A cursor carries the sort-key values of the last row of a page and a fingerprint of
the query that produced it, signed with a key of its own purpose. A tampered cursor,
one from another list, or one reused with other filters (or by a reader who sees
other rows) is refused with :class:`InvalidCursor`, never trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from storage.crypto import Crypto
from storage.errors import InvalidCursor

_SIGNATURE_BYTES = 16


def fingerprint(*parts: Any) -> str:
    """A short digest of what a query is (filters, sort, what the reader may see)."""
    described = json.dumps(list(parts), default=str, sort_keys=True)
    return hashlib.sha256(described.encode()).hexdigest()[:16]


class CursorCodec:
    """Encodes and checks the cursors of one list (``purpose`` keeps lists apart)."""

    def __init__(self, crypto: Crypto, purpose: str) -> None:
        self.crypto = crypto
        self.purpose = purpose

    def _sign(self, payload: bytes) -> bytes:
        return self.crypto.sign(payload, self.purpose)

    def encode(self, values: list[Any], query: str) -> str:
        """A cursor continuing after the row whose sort key is ``values``."""
        payload = json.dumps(
            {"f": query, "v": [_to_json(v) for v in values]}, separators=(",", ":")
        ).encode()
        return base64.urlsafe_b64encode(self._sign(payload) + payload).decode().rstrip("=")

    def decode(self, cursor: str, query: str) -> list[Any]:
        """The sort-key values in ``cursor``, if it is genuine and belongs to ``query``."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursor() from None
        signature, payload = raw[:_SIGNATURE_BYTES], raw[_SIGNATURE_BYTES:]
        if len(signature) != _SIGNATURE_BYTES or not hmac.compare_digest(
            signature, self._sign(payload)
        ):
            raise InvalidCursor()
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
