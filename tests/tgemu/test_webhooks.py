"""Webhook delivery: secret header, retries with backoff until 2xx, order kept, info reported."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.tgemu.helpers import ApiCall, eventually
from tgemu import BotHandle


async def webhook_info(api: ApiCall, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    async def probe() -> dict[str, Any]:
        return (await api("getWebhookInfo", {})).json()["result"]

    return await eventually(probe, check)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Receiver:
    """A tiny webhook endpoint that fails with 500 a given number of times first."""

    url: str = ""
    fail_first: int = 0
    reply: dict[str, Any] | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    secrets: list[str | None] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request) -> Response:
        body = await request.json()
        self.secrets.append(request.headers.get("x-telegram-bot-api-secret-token"))
        self.changed.set()
        if self.fail_first > 0:
            self.fail_first -= 1
            self.statuses.append(500)
            return Response("boom", status_code=500)
        self.received.append(body)
        self.statuses.append(200)
        return JSONResponse(self.reply or {})

    async def wait_for(self, count: int, within: float = 10) -> None:
        async with asyncio.timeout(within):
            while len(self.received) < count:
                self.changed.clear()
                await self.changed.wait()


@contextlib.asynccontextmanager
async def run_receiver(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no start-up event
        await asyncio.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


async def test_delivery_with_secret_header(api: ApiCall, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=8001)
    async with run_receiver(Receiver()) as receiver:
        response = await api("setWebhook", {"url": receiver.url, "secret_token": "s3cret_-X"})
        assert response.json()["ok"] is True
        await user.send_text("via webhook", wait=False)
        await receiver.wait_for(1)
        assert receiver.received[0]["message"]["text"] == "via webhook"
        assert receiver.secrets == ["s3cret_-X"]
        info = await webhook_info(api, lambda i: i["pending_update_count"] == 0)
        assert info["url"] == receiver.url
        assert "last_error_date" not in info
        await api("deleteWebhook", {})


async def test_retries_after_500_until_2xx_keeping_order(
    api: ApiCall, bot_handle: BotHandle
) -> None:
    user = await bot_handle.create_user(id=8002)
    async with run_receiver(Receiver(fail_first=3)) as receiver:
        for text in ("first", "second", "third"):
            await user.send_text(text, wait=False)
        assert (await api("setWebhook", {"url": receiver.url})).json()["ok"] is True
        await receiver.wait_for(3)
        assert [u["message"]["text"] for u in receiver.received] == ["first", "second", "third"]
        assert receiver.statuses == [500, 500, 500, 200, 200, 200]
        assert receiver.secrets == [None] * 6  # no secret_token was set, so no header
        info = await webhook_info(api, lambda i: i["pending_update_count"] == 0)
        assert (
            info["last_error_message"]
            == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert isinstance(info["last_error_date"], int)
        await api("deleteWebhook", {})


async def test_unreachable_webhook_keeps_updates_pending(
    api: ApiCall, bot_handle: BotHandle
) -> None:
    user = await bot_handle.create_user(id=8003)
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    await api("setWebhook", {"url": "http://127.0.0.1:9/hook"})
    await user.send_text("lost?", wait=False)
    info = await webhook_info(api, lambda i: "last_error_message" in i)
    assert info["last_error_message"] == "Connection refused"
    assert info["pending_update_count"] == 1
    # Switching back to polling hands the pending update over; dropping would discard it.
    await api("deleteWebhook", {})
    got = (await api("getUpdates", {})).json()["result"]
    assert [u["message"]["text"] for u in got] == ["lost?"]
    await api("setWebhook", {"url": "http://127.0.0.1:9/hook"})
    await api("deleteWebhook", {"drop_pending_updates": True})
    assert (await api("getUpdates", {})).json()["result"] == []


async def test_method_in_webhook_response_is_executed(api: ApiCall, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=8004)
    receiver = Receiver(reply={"method": "sendMessage", "chat_id": 8004, "text": "pong"})
    async with run_receiver(receiver):
        await api("setWebhook", {"url": receiver.url})
        replies = await user.send_text("ping")
        assert replies.text == "pong"
        await api("deleteWebhook", {})


async def test_webhook_url_must_be_loopback(api: ApiCall, bot_handle: BotHandle) -> None:
    response = await api("setWebhook", {"url": "https://example.org/hook"})
    assert response.status_code == 400
    assert "loopback" in response.json()["description"]
    bad_secret = await api(
        "setWebhook", {"url": "http://127.0.0.1:9/", "secret_token": "no spaces"}
    )
    assert (
        bad_secret.json()["description"]
        == "Bad Request: secret token contains unallowed characters"
    )
