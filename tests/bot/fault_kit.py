"""Helpers for the fault tests (tests/bot/test_faults_*.py): a patient emulator client,
transcripts to compare, the bot in webhook mode, counters read from the registry."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

import httpx
from fastapi import FastAPI, Request, Response
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from admin_api.app import create_app
from bot.requests import ResilientRequests
from bot.runtime import BotRuntime, webhook_path
from storage.core import Core
from tests.bot.helpers import served
from tests.handlers.conversation import (
    CATEGORY_LABELS,
    PROGRAMME_LABELS,
    RECEIPT,
    Talk,
    oblast_label,
)
from tests.harness import quick_requests
from tests.services import unavailable
from tgemu import BotHandle, SimulatedUser
from tgemu.client import ChatMessage, EmulatorControlError

WEBHOOK_SECRET = "fault-test-secret_0123456789"
# How long a simulated person waits for the next screen before the test fails. Long:
# a crowd at once on a shared two-core machine queues for a while; a lost answer
# still fails, only later.
PATIENCE = 120.0


class EmulatorAt(Protocol):
    """An emulator to point the bots at: the tests' thread, or one in its own process."""

    base_url: str


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
    emulator: EmulatorAt,
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
        # Unpaced, as in the harness: simulated people type faster than anyone. Nor are
        # their typed bursts gathered (tests/handlers/test_one_message_per_step.py).
        requests=requests or quick_requests(),
        gather_window=0.0,
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
    async with asyncio.timeout(PATIENCE):
        while True:
            try:
                await user.press(label, wait=False)
                return
            except EmulatorControlError as exc:
                if exc.status != 404:
                    raise
            await user.wait_for(lambda m: label in m.button_labels, timeout=PATIENCE)


def acknowledged(count: int, done: str, message: ChatMessage) -> bool:
    """ "Received: {count} messages …" with the Done button."""
    return f": {count} " in message.body and done in message.button_labels


async def open_report_patiently(talk: Talk) -> None:
    """From /start to the description step, each button pressed once it shows."""
    await talk.user.send_text("/start", wait=False)
    for label in (
        talk.t("📝 Complaint or feedback"),
        talk.t(CATEGORY_LABELS["assistance_quality"]),
        PROGRAMME_LABELS["food"][talk.language],
        oblast_label("UA-63", talk.language),
    ):
        await press_when_shown(talk.user, label)


async def file_report_patiently(talk: Talk, parts: Sequence[str]) -> None:
    """A whole report (the steps of Talk.file_report), each button pressed once it shows.
    Returns once the receipt shows."""
    await open_report_patiently(talk)
    done = talk.t("✅ Done")
    # A person writes once asked to: the description's prompt first (otherwise the order
    # of the prompt and the first part in the chat is a race between them and the bot).
    asked = talk.t(
        "Describe what happened, in your own words: what, when, where, who was involved."
    )
    await talk.user.wait_for(lambda m: m.body.startswith(asked), timeout=PATIENCE)
    for n, part in enumerate(parts, start=1):
        await talk.user.send_text(part, wait=False)
        # "Received: n messages": Done is pressed on the newest acknowledgement.
        await talk.user.wait_for(partial(acknowledged, n, done), timeout=PATIENCE)
    for msgid in ("✅ Done", "🔒 Anonymous", "✅ Send"):
        await press_when_shown(talk.user, talk.t(msgid))
    # The confirmation screen shows the code too: the receipt is the thanks with it.
    thanks = talk.t("✅ Thank you. Your report has been received.")
    await talk.user.wait_for(
        lambda m: m.body.startswith(thanks) and RECEIPT.search(m.body) is not None,
        timeout=PATIENCE,
    )


async def settle(tg: BotHandle, *runtimes: BotRuntime) -> None:
    """Until every update sent so far is delivered and handled by every runtime."""
    async with asyncio.timeout(PATIENCE):
        calm = 0
        while calm < 3:
            busy = (await tg.state())["pending_updates"] or any(
                r.dp.in_flight or r.dp._handle_update_tasks for r in runtimes
            )
            calm = 0 if busy else calm + 1
            await asyncio.sleep(0.05)


def _opened() -> asyncio.Event:
    gate = asyncio.Event()
    gate.set()
    return gate


@dataclass
class InFlight:
    """Updates the front is forwarding right now. While ``gate`` is closed (cleared), the
    front holds what arrives, in flight, unforwarded: a test sees how many updates
    Telegram sends at once without racing the bot's answers."""

    now: int = 0
    gate: asyncio.Event = field(default_factory=_opened)

    def enter(self) -> None:
        self.now += 1

    def leave(self) -> None:
        self.now -= 1


def alternating_front(
    targets: list[str], answered: Counter[int] | None = None, in_flight: InFlight | None = None
) -> FastAPI:
    """A stand-in for the reverse proxy before several instances: each POST goes to the
    next instance in turn (round robin), so one person's updates land on both.
    ``answered`` counts the updates each instance accepted (HTTP 200), by its index;
    ``in_flight`` follows how many updates are on their way through at once."""
    app = FastAPI()
    turn = itertools.count()
    client = httpx.AsyncClient(timeout=60, trust_env=False)
    flight = in_flight or InFlight()

    @app.post("/{path:path}")
    async def forward(path: str, request: Request) -> Response:
        index = next(turn) % len(targets)
        target = targets[index]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        flight.enter()
        try:
            await flight.gate.wait()
            answer = await client.post(
                f"{target}/{path}", content=await request.body(), headers=headers
            )
        finally:
            flight.leave()
        if answered is not None and answer.status_code == 200:
            answered[index] += 1
        return Response(answer.content, status_code=answer.status_code)

    app.router.on_shutdown.append(client.aclose)
    return app


@contextlib.asynccontextmanager
async def instances_behind_a_front(
    cores: list[Core],
    token: str,
    emulator: EmulatorAt,
    *,
    redis: list[Redis] | None = None,
    answered: Counter[int] | None = None,
    in_flight: InFlight | None = None,
) -> AsyncIterator[list[BotRuntime]]:
    """One bot instance per core (each its own API app and webhook route, as separate
    processes would be; ``redis``: one client each), behind one alternating front whose
    URL is the webhook Telegram posts to."""
    runtimes = [
        BotRuntime.create(
            core,
            token=token,
            api_url=emulator.base_url,
            redis=redis[i] if redis else None,
            requests=quick_requests(),
            gather_window=0.0,
        )
        for i, core in enumerate(cores)
    ]
    try:
        async with contextlib.AsyncExitStack() as stack:
            urls = []
            for runtime, core in zip(runtimes, cores, strict=True):
                app = create_app(core)
                app.include_router(runtime.webhook_router(WEBHOOK_SECRET))
                url, _ = await stack.enter_async_context(served(app))
                urls.append(url)
            front_url, http = await stack.enter_async_context(
                served(alternating_front(urls, answered, in_flight))
            )
            for runtime in runtimes:
                await runtime.start_webhook(front_url, WEBHOOK_SECRET)
            yield runtimes
            await http.post(f"{emulator.base_url}/bot{token}/deleteWebhook")
    finally:
        for runtime in runtimes:
            await runtime.stop()


def unique_user_id() -> int:
    """A Telegram user id no earlier run used: conversation state in Redis outlives runs."""
    return 600_000_000 + secrets.randbelow(10**9)


async def require_redis(client: Redis) -> None:
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as exc:
        await client.aclose()
        unavailable("Redis", str(exc))


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = PATIENCE) -> None:
    """Until ``check()`` holds (polled: what it waits for happens in another process)."""
    async with asyncio.timeout(seconds):
        while True:
            if await check():
                return
            await asyncio.sleep(0.05)
