"""Signed keyset cursors for the ratings list.

Interim: storage.cursor (the shared codec of the worklist and audit trail) replaces this
once it lands; the interface is the same.
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
from storage.errors import InvalidInput

_SIGNATURE_BYTES = 16


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__("The pagination cursor is not valid for this query; start again.")


def fingerprint(*parts: Any) -> str:
    described = json.dumps(list(parts), default=str, sort_keys=True)
    return hashlib.sha256(described.encode()).hexdigest()[:16]


class CursorCodec:
    def __init__(self, crypto: Crypto, purpose: str) -> None:
        self.crypto = crypto
        self.purpose = purpose

    def encode(self, values: list[Any], query: str) -> str:
        payload = json.dumps(
            {"f": query, "v": [_to_json(v) for v in values]}, separators=(",", ":")
        ).encode()
        signed = self.crypto.sign(payload, self.purpose) + payload
        return base64.urlsafe_b64encode(signed).decode().rstrip("=")

    def decode(self, cursor: str, query: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursor() from None
        signature, payload = raw[:_SIGNATURE_BYTES], raw[_SIGNATURE_BYTES:]
        if len(signature) != _SIGNATURE_BYTES or not hmac.compare_digest(
            signature, self.crypto.sign(payload, self.purpose)
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
    return {"t": value.isoformat()} if isinstance(value, datetime) else value


def _from_json(value: Any) -> Any:
    return datetime.fromisoformat(value["t"]) if isinstance(value, dict) else value
