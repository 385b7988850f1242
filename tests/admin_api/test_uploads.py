"""Forms with files are read into memory only (admin_api/web/uploads.py): Starlette would
spool a file past 1 MB to an unencrypted temporary file on disk. This drives the
parser, and so also pins the Starlette internals it relies on (MultiPartParser's
``_current_part``, ``_file_parts_to_write``, ``spool_max_size``; ``Request._form``)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from admin_api.web.uploads import Oversized, files_of, memory_form, text_of

CAP = 4 * 1024 * 1024


def app() -> FastAPI:
    web = FastAPI()

    @web.post("/form")
    async def form(request: Request) -> JSONResponse:
        parsed = await memory_form(request, file_cap=CAP, max_files=3)
        # The CSRF check reads request.form(): it must get this same form, not parse again.
        assert await request.form() is parsed
        upload = parsed.get("files")
        assert isinstance(upload, UploadFile)
        on_disk = getattr(upload.file, "_rolled", None)
        files = await files_of(parsed, "files")
        return JSONResponse(
            {
                "note": text_of(parsed, "note"),
                "on_disk": on_disk,
                "oversized": isinstance(upload, Oversized),
                "sizes": [len(f.data) for f in files],
                "too_large": [f.too_large for f in files],
            }
        )

    return web


async def post(content: bytes) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/form",
            files=[("note", (None, "kept")), ("files", ("a.pdf", content, "application/pdf"))],
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_file_past_starlettes_spool_stays_in_memory() -> None:
    body = await post(b"%PDF" + b"x" * (3 * 1024 * 1024))
    assert body["on_disk"] is False
    assert body["sizes"] == [3 * 1024 * 1024 + 4] and body["too_large"] == [False]
    assert body["note"] == "kept"


async def test_a_file_past_the_cap_is_dropped_and_the_rest_of_the_form_kept() -> None:
    body = await post(b"%PDF" + b"x" * (CAP + 10))
    assert body["oversized"] is True and body["too_large"] == [True]
    assert body["sizes"] == [0]
    assert body["note"] == "kept"
