"""Webhook mode: the API app receives Telegram's updates on a secret path.

The emulator delivers updates to the route over real HTTP, as Telegram does; the route
checks ``X-Telegram-Bot-Api-Secret-Token`` and must handle an update once, even when
Telegram (here the emulator) sends it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiogram import Bot
from aiogram.methods import SendMessage, TelegramMethod
from prometheus_client import REGISTRY

from admin_api.app import create_app
from bot.runtime import WEBHOOK_HEADER, BotRuntime, webhook_path
from storage.core import Core
from storage.settings import SettingsError
from tests.bot.helpers import sent_with, served
from tests.handlers.conversation import Talk, stored_cases
from tests.harness import quick_requests
from tgemu import BotHandle, Emulator, EmulatorThread

SECRET = "webhook-secret_0123456789"
WELCOME_UK = "Вітаємо"
# Longer than the emulator's webhook timeout below: the first delivery of an update
# whose handling waits on it times out, and the emulator sends the update again.
SLOW_SEND = 1.0


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    """This module's own emulator: quick webhook retries and a short webhook timeout."""
    thread = EmulatorThread(
        emulator=Emulator(webhook_retry_initial=0.05, webhook_retry_max=0.2, webhook_timeout=0.5)
    )
    thread.start()
    yield thread
    thread.stop()


@dataclass
class Hooked:
    runtime: BotRuntime
    url: str  # the webhook route's full URL
    http: httpx.AsyncClient


@pytest.fixture
async def hooked(bot_core: Core, tg: BotHandle, emulator: EmulatorThread) -> AsyncIterator[Hooked]:
    """The real bot in webhook mode: the API app with the webhook route, served over HTTP,
    and the emulator told to deliver there."""
    # Unpaced, as in the harness: simulated people type faster than anyone.
    runtime = BotRuntime.create(
        bot_core,
        token=tg.token,
        api_url=emulator.base_url,
        requests=quick_requests(),
        gather_window=0.0,
    )
    app = create_app(bot_core)
    app.include_router(runtime.webhook_router(SECRET))
    try:
        async with served(app) as (base_url, http):
            await runtime.start_webhook(base_url, SECRET)
            yield Hooked(runtime, base_url + webhook_path(SECRET), http)
            # The emulator stops posting before the server goes (a test may have stopped
            # the bot, and its session, already).
            await http.post(f"{emulator.base_url}/bot{tg.token}/deleteWebhook")
    finally:
        await runtime.stop()


async def test_the_webhook_is_registered_with_its_secret(hooked: Hooked, tg: BotHandle) -> None:
    (call,) = await tg.calls("setWebhook")
    assert call["params"]["url"] == hooked.url
    assert call["params"]["secret_token"] == SECRET
    # The path gives nothing away: the secret is not in it.
    assert SECRET not in hooked.url


async def test_start_and_a_full_report_in_ukrainian(hooked: Hooked, make_user, bot_core) -> None:
    talk = Talk(await make_user("uk"), "uk")
    welcome = (await talk.command("start")).last
    assert WELCOME_UK in welcome.body
    code = await talk.file_report(contact="💬 Reply in this chat")
    (case,) = await stored_cases(bot_core)
    assert case.language == "uk" and case.contact_mode == "chat"
    assert len(code.replace(" ", "")) == 16


def start_update(update_id: int, user_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_772_442_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Anon"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Anon", "language_code": "uk"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


@pytest.mark.parametrize("header", [None, "", "wrong-secret", SECRET + "x", SECRET[:-1]])
async def test_a_request_without_the_secret_is_refused_and_not_handled(
    hooked: Hooked, make_user, tg: BotHandle, header: str | None
) -> None:
    user = await make_user("uk")
    await user.send_text("/help")  # the chat exists: the bot may write to it
    headers = {} if header is None else {WEBHOOK_HEADER: header}
    response = await hooked.http.post(
        hooked.url, json=start_update(424_242, user.id), headers=headers
    )
    assert response.status_code == 401
    # The route answers only after handling, so a handled update would show by now.
    assert await sent_with(tg, WELCOME_UK) == []
    # The same update with the secret is handled: the refusal did not swallow it.
    response = await hooked.http.post(
        hooked.url, json=start_update(424_242, user.id), headers={WEBHOOK_HEADER: SECRET}
    )
    assert response.status_code == 200
    assert len(await sent_with(tg, WELCOME_UK)) == 1


async def test_an_update_sent_again_is_handled_once(
    hooked: Hooked, make_user, tg: BotHandle
) -> None:
    user = await make_user("uk")
    await tg.inject_delay("sendMessage", SLOW_SEND, times=1)
    await user.send_text("/start", wait=False)
    # Updates are delivered in order, each after the one before got its 200, and a
    # chat's updates are handled one at a time: once /help is answered, every delivery
    # of /start has been fully handled.
    await user.send_text("/help")
    deliveries = (await tg.state())["webhook_deliveries"]
    start_id = deliveries[0]["update_id"]
    tries = [d for d in deliveries if d["update_id"] == start_id]
    # The emulator gave up waiting for the first answer and sent the update again.
    assert len(tries) >= 2 and tries[0].get("error") == "Read timeout expired"
    assert len(await sent_with(tg, WELCOME_UK)) == 1


def handled(outcome: str) -> float:
    labels = {"type": "message", "outcome": outcome}
    return REGISTRY.get_sample_value("holos_bot_updates_total", labels) or 0.0


async def test_a_stop_lets_the_update_being_handled_finish_and_turns_new_ones_away(
    hooked: Hooked, make_user, tg: BotHandle
) -> None:
    user = await make_user("en")
    answering = asyncio.Event()

    async def signal_the_answer(make_request: Any, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, SendMessage):
            answering.set()
        return await make_request(bot, method)

    hooked.runtime.bot.session.middleware(signal_the_answer)
    await tg.inject_delay("sendMessage", 0.3, times=1)  # under the webhook timeout
    ok_before, errors_before = handled("ok"), handled("error")
    await user.send_text("/start", wait=False)
    await answering.wait()
    await hooked.runtime.stop()

    # The update on its way was answered before the HTTP session closed.
    assert (handled("ok") - ok_before, handled("error") - errors_before) == (1, 0)
    (welcome,) = await sent_with(tg, "Hello")
    assert welcome["ok"]
    # A stopped bot turns updates away, for Telegram to send again to the next instance,
    # rather than answering 200 for an update it can no longer handle.
    late = await hooked.http.post(
        hooked.url, json=start_update(515_151, user.id), headers={WEBHOOK_HEADER: SECRET}
    )
    assert late.status_code == 503
    assert handled("ok") - ok_before == 1


async def test_an_empty_secret_is_refused(bot_core: Core, tg: BotHandle) -> None:
    """With no secret the path is public (derived from "") and the header check passes
    without a header: anyone could post updates."""
    runtime = BotRuntime.create(bot_core, token=tg.token, api_url="http://127.0.0.1:9")
    try:
        for bad in ("", "has spaces", "x" * 257):
            with pytest.raises(SettingsError):
                runtime.webhook_router(bad)
    finally:
        await runtime.stop()


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"update_id": "many"}', b'{"message": {"text": "hi"}}', b""],
)
async def test_a_malformed_body_with_the_secret_is_a_400_not_a_500(
    hooked: Hooked, body: bytes
) -> None:
    response = await hooked.http.post(
        hooked.url,
        content=body,
        headers={WEBHOOK_HEADER: SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
