"""Decoding request bodies the three ways Bot API clients send them.

JSON bodies carry typed values; ``application/x-www-form-urlencoded`` and ``multipart/form-data``
bodies carry strings (plus file parts). aiogram's AiohttpSession sends urlencoded bodies, and
switches to multipart as soon as a file is attached, with objects such as reply_markup encoded
as JSON text. The caller is told which shape it got, because validation converts strings only.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from tgemu.files import UploadedFile

Parsed = tuple[dict[str, Any], dict[str, UploadedFile], bool]


async def parse_body(content_type: str, body: bytes, query_string: bytes = b"") -> Parsed:
    """Return (params, file parts, form) where ``form`` means every value is a string.

    Raises ValueError for a body that cannot be decoded at all.
    """
    params: dict[str, Any] = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    files: dict[str, UploadedFile] = {}
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body.strip():
        return params, files, True
    if media_type == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError as exc:
            raise ValueError("can't parse JSON body") from exc
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        return {**params, **decoded}, files, False
    if media_type == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return params, files, True
    if media_type == "multipart/form-data":
        form = await _request_from_bytes(content_type, body).form(max_files=100, max_fields=1000)
        try:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read()
                    files[key] = UploadedFile(
                        filename=value.filename or key,
                        content_type=value.content_type or "application/octet-stream",
                        data=data,
                    )
                else:
                    params[key] = value
        finally:
            await form.close()
        return params, files, True
    raise ValueError(f"unsupported content type {media_type or 'none'}")


def _request_from_bytes(content_type: str, body: bytes) -> Request:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": b"",
        "headers": [(b"content-type", content_type.encode("latin-1"))],
    }
    return Request(scope, receive)
