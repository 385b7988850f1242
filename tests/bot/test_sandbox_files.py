"""Issue 18 §5: in the sandbox, files sent to the emulator are never served as HTML on
the console's origin. The emulator is mounted into the API's own app (bot.sandbox): a
page uploaded as ``text/html`` and served as such would run its script with the staff
console's cookies. Tested on the sandbox's own composition, in process."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from bot import sandbox
from tgemu import Emulator

PAGE = b"<html><body><script>fetch('/console/cases').then(r=>r.text())</script></body></html>"


@pytest.fixture
async def http() -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    token = sandbox.sandbox_token()
    app = FastAPI()
    emulator = Emulator(sandbox_token=token)
    sandbox.mount(app, emulator)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client, token
    await emulator.aclose()


async def sent_file(client: httpx.AsyncClient, token: str, kind: str, mime: str) -> str:
    control = f"/tg/_emulator/bots/{token}"
    person = await client.post(f"{control}/users", json={"first_name": "Guest"})
    user_id = person.json()["id"]
    sent = await client.post(
        f"{control}/users/{user_id}/messages",
        json={
            "kind": kind,
            "data_base64": base64.b64encode(PAGE).decode(),
            "file_name": "page.html",
            "mime_type": mime,
        },
    )
    assert sent.status_code == 200, sent.text
    message = sent.json()
    media = message.get(kind) or message.get("content", {}).get(kind)
    if media is None:
        update = (await client.post(f"/tg/bot{token}/getUpdates", json={})).json()
        media = update["result"][-1]["message"][kind]
    return str((media[-1] if isinstance(media, list) else media)["file_id"])


@pytest.mark.parametrize(
    ("kind", "mime"),
    [
        ("document", "text/html"),
        ("document", "image/svg+xml"),
        ("document", "application/xhtml+xml"),
        ("photo", "text/html"),
    ],
)
async def test_an_uploaded_page_is_never_served_as_a_page(
    http: tuple[httpx.AsyncClient, str], kind: str, mime: str
) -> None:
    client, token = http
    file_id = await sent_file(client, token, kind, mime)
    path = (await client.post(f"/tg/bot{token}/getFile", json={"file_id": file_id})).json()
    downloads = [
        await client.get(f"/tg/file/bot{token}/{path['result']['file_path']}"),
        await client.get(f"/tg/_emulator/bots/{token}/files/{file_id}"),
    ]
    for response in downloads:
        assert response.status_code == 200
        assert response.content == PAGE  # the bytes are served, as a download
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["content-disposition"] == "attachment"
        assert response.headers["x-content-type-options"] == "nosniff"
        policies = response.headers.get_list("content-security-policy")
        assert any("sandbox" in policy and "default-src 'none'" in policy for policy in policies)


async def test_pictures_still_show_on_the_chat_page(http: tuple[httpx.AsyncClient, str]) -> None:
    client, token = http
    control = f"/tg/_emulator/bots/{token}"
    user_id = (await client.post(f"{control}/users", json={"first_name": "Guest"})).json()["id"]
    await client.post(f"{control}/users/{user_id}/messages", json={"kind": "photo"})
    update = (await client.post(f"/tg/bot{token}/getUpdates", json={})).json()
    file_id = update["result"][-1]["message"]["photo"][-1]["file_id"]
    response = await client.get(f"{control}/files/{file_id}")
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
