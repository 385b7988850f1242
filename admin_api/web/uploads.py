"""Forms with files, read into memory only.

Starlette spools an uploaded file past 1 MB to a temporary file on disk, in the clear:
a person's photo or recording would sit unencrypted on the server's disk. Here every
file stays in memory up to a cap (the attachment limit) and is never written anywhere
until the attachment pipeline has cleaned and encrypted it; a file past the cap is not
kept at all, only marked, so the form can say which file was too big and keep the rest
of what was typed. The parsed form replaces the request's own (``request.form()`` then
returns it, so the CSRF check reads the same fields).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser


class Oversized(UploadFile):
    """A file past the cap: its bytes were dropped as they came."""


class _MemoryParser(MultiPartParser):
    def __init__(
        self,
        headers: Headers,
        stream: AsyncGenerator[bytes, None],
        *,
        file_cap: int,
        max_files: int,
        max_fields: int,
    ) -> None:
        super().__init__(
            headers, stream, max_files=max_files, max_fields=max_fields, max_part_size=64 * 1024
        )
        self.file_cap = file_cap
        # Never rolls over to disk: a file is dropped (Oversized) before it reaches this.
        self.spool_max_size = file_cap + 1
        self._written: dict[int, int] = {}

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current_part
        if part.file is None:
            super().on_part_data(data, start, end)
            return
        if isinstance(part.file, Oversized):
            return
        size = self._written.get(id(part), 0) + (end - start)
        self._written[id(part)] = size
        if size > self.file_cap:
            self._file_parts_to_write[:] = [
                (p, chunk) for p, chunk in self._file_parts_to_write if p is not part
            ]
            part.file = Oversized(BytesIO(), size=0, filename=part.file.filename)
            return
        super().on_part_data(data, start, end)


@dataclass(frozen=True)
class FormFile:
    """A file from a form, whole in memory; ``too_large`` when it was past the cap."""

    filename: str
    content_type: str | None
    data: bytes
    too_large: bool = False


class BadForm(ValueError):
    """A body that is not a well-formed form, or has more parts than the form has."""


async def memory_form(
    request: Request, *, file_cap: int, max_files: int, max_fields: int = 40
) -> FormData:
    """The request's form, its files held in memory (see the module's doc)."""
    cached: FormData | None = getattr(request, "_form", None)
    if cached is not None:
        return cached
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return await request.form(max_files=0, max_fields=max_fields)
    parser = _MemoryParser(
        request.headers,
        request.stream(),
        file_cap=file_cap,
        max_files=max_files,
        max_fields=max_fields,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadForm(str(exc)) from None
    request._form = form
    return form


async def files_of(form: FormData, name: str) -> list[FormFile]:
    """The files sent under ``name``, skipping the empty part a browser sends when none
    was chosen."""
    found: list[FormFile] = []
    for value in form.getlist(name):
        if not isinstance(value, UploadFile):
            continue
        if isinstance(value, Oversized):
            found.append(FormFile(value.filename or "", None, b"", too_large=True))
            continue
        data = await value.read()
        if not data and not value.filename:
            continue
        found.append(FormFile(value.filename or "", value.content_type, data))
    return found


def text_of(form: FormData, name: str, default: str = "") -> str:
    value: Any = form.get(name)
    return value if isinstance(value, str) else default
