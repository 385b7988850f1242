"""The worker pipe's framing: a JSON header and a body of raw bytes, each length-prefixed.

No pickle: the parent reads what a worker that decoded hostile input sends back, so
nothing it reads can be more than data, and lengths are checked before anything is read.
"""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

_LENGTHS = struct.Struct(">II")
MAX_HEADER = 64 * 1024
# A request is at most a Telegram download (20 MB); an answer a rebuilt file and its text.
MAX_BODY = 96 * 1024 * 1024


class FrameError(Exception):
    pass


def encode_frame(header: dict[str, Any], body: bytes) -> bytes:
    encoded = json.dumps(header).encode("utf-8")
    return _LENGTHS.pack(len(encoded), len(body)) + encoded


def write_frame(stream: BinaryIO, header: dict[str, Any], body: bytes) -> None:
    stream.write(encode_frame(header, body))
    stream.write(body)
    stream.flush()


def lengths(prefix: bytes) -> tuple[int, int]:
    header_length, body_length = _LENGTHS.unpack(prefix)
    if header_length > MAX_HEADER or body_length > MAX_BODY:
        raise FrameError("frame too large")
    return header_length, body_length


PREFIX_BYTES = _LENGTHS.size


def decode_header(raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FrameError("malformed header") from None
    if not isinstance(header, dict):
        raise FrameError("malformed header")
    return header


def read_frame(stream: BinaryIO) -> tuple[dict[str, Any], bytes] | None:
    """The next frame from a blocking stream; None at a clean end of stream."""
    prefix = stream.read(PREFIX_BYTES)
    if not prefix:
        return None
    if len(prefix) < PREFIX_BYTES:
        raise FrameError("truncated frame")
    header_length, body_length = lengths(prefix)
    raw = stream.read(header_length)
    body = stream.read(body_length)
    if len(raw) < header_length or len(body) < body_length:
        raise FrameError("truncated frame")
    return decode_header(raw), body
