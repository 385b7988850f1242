"""Helpers for the fault tests (tests/bot/test_faults_*.py): a patient emulator client,
transcripts to compare, the bot in webhook mode, counters read from the registry."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import partial

import httpx
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from admin_api.app import create_app
from bot.requests import ResilientRequests
from bot.runtime import BotRuntime, webhook_path
from storage.core import Core
from tests.bot.conftest import served
from tests.handlers.conversation import (
    CATEGORY_LABELS,
    PROGRAMME_LABELS,
    RECEIPT,
    Talk,
    oblast_label,
)
from tgemu import BotHandle, EmulatorThread, SimulatedUser
from tgemu.client import ChatMessage, EmulatorControlError

WEBHOOK_SECRET = "fault-test-secret_0123456789"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def transcript(user: SimulatedUser) -> list[tuple[bool, str]]:
    """The chat as the person sees it at the end: who wrote, what (receipts masked)."""
    return [(m.from_bot, RECEIPT.sub("#### #### #### ####", m.body)) for m in await user.chat()]


@dataclass
class Hooked:
    runtime: BotRuntime
    url: str
    http: httpx.AsyncClient


@contextlib.asynccontextmanager
async def webhook_bot(
    core: Core,
    token: str,
    emulator: EmulatorThread,
    *,
    redis: Redis | None = None,
    requests: ResilientRequests | None = None,
) -> AsyncIterator[Hooked]:
    """The real bot in webhook mode: the API app with the webhook route over HTTP, the
    emulator told to post there."""
    runtime = BotRuntime.create(
        core,
        token=token,
        api_url=emulator.base_url,
        redis=redis,
        # Unpaced, as in the harness: simulated people type faster than anyone.
        requests=requests or ResilientRequests(pacer=None, backoff=0.05),
    )
    app = create_app(core)
    app.include_router(runtime.webhook_router(WEBHOOK_SECRET))
    try:
        async with served(app) as (base_url, http):
            await runtime.start_webhook(base_url, WEBHOOK_SECRET)
            yield Hooked(runtime, base_url + webhook_path(WEBHOOK_SECRET), http)
            await http.post(f"{emulator.base_url}/bot{token}/deleteWebhook")
    finally:
        await runtime.stop()


async def press_when_shown(user: SimulatedUser, label: str) -> None:
    """Press a button once it is on screen. Under a 429 storm the screen with it may
    still be on its way; the person presses what they see, as a person would."""
    async with asyncio.timeout(30):
        while True:
            try:
                await user.press(label, wait=False)
                return
            except EmulatorControlError as exc:
                if exc.status != 404:
                    raise
            await user.wait_for(lambda m: label in m.button_labels, timeout=30)


def acknowledged(count: int, done: str, message: ChatMessage) -> bool:
    """ "Received: {count} messages …" with the Done button."""
    return f": {count} " in message.body and done in message.button_labels


async def file_report_patiently(talk: Talk, parts: Sequence[str]) -> None:
    """A whole report (the steps of Talk.file_report), each button pressed once it shows.
    Returns once the receipt shows."""
    await talk.user.send_text("/start", wait=False)
    for label in (
        talk.t("📝 Complaint or feedback"),
        talk.t(CATEGORY_LABELS["assistance_quality"]),
        PROGRAMME_LABELS["food"][talk.language],
        oblast_label("UA-63", talk.language),
    ):
        await press_when_shown(talk.user, label)
    done = talk.t("✅ Done")
    for n, part in enumerate(parts, start=1):
        await talk.user.send_text(part, wait=False)
        # "Received: n messages": Done is pressed on the newest acknowledgement.
        await talk.user.wait_for(partial(acknowledged, n, done), timeout=30)
    for msgid in ("✅ Done", "🔒 Anonymous", "✅ Send"):
        await press_when_shown(talk.user, talk.t(msgid))
    await talk.user.wait_for(lambda m: RECEIPT.search(m.body) is not None, timeout=30)


async def settle(tg: BotHandle, *runtimes: BotRuntime) -> None:
    """Until every update sent so far is delivered and handled by every runtime."""
    async with asyncio.timeout(30):
        calm = 0
        while calm < 3:
            busy = (await tg.state())["pending_updates"] or any(
                r.dp.in_flight or r.dp._handle_update_tasks for r in runtimes
            )
            calm = 0 if busy else calm + 1
            await asyncio.sleep(0.05)
