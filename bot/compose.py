"""The composition root: the one module that wires ``bot`` and ``admin_api`` (and the
Telegram emulator) into running processes, so that one process can serve the API, the
webhook route and the sandbox page beside the bot (docs/architecture.md).

Which of them runs is chosen by the ``holos`` command (bot.cli, which parses the
arguments and checks the settings, then calls :func:`serve`, :func:`serve_sandbox`
or :func:`serve_emulator`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from storage.core import Core, build_core
from storage.migrate import migrate_url
from storage.settings import Settings, SettingsError

if TYPE_CHECKING:
    from redis.asyncio import Redis


async def serve(settings: Settings, *, api: bool, bot: bool) -> int:
    """The product with a real token: the API, the bot, or both, in one event loop.

    Long polling by default; with HOLOS_WEBHOOK_URL the API process receives the
    updates (``holos run`` or ``holos api``) and ``holos bot`` only delivers replies.
    """
    from admin_api.app import create_app
    from admin_api.metrics import create_metrics_app
    from admin_api.server import bind_socket, running_api
    from bot import metrics
    from bot.runtime import BotRuntime

    core = build_core(settings)
    try:
        await require_current_schema(core)
        redis = _redis(settings)
        webhook = settings.webhook_url is not None and settings.webhook_secret is not None
        runtime = BotRuntime.create(core, redis=redis) if (bot or (api and webhook)) else None
        if runtime is not None and (api or not webhook):
            runtime.require_update_handling()  # before anything listens
        stop = stop_on_signals()
        app = create_app(core) if api else None
        if app is not None:
            # The bot's counters live in the default registry; the API shows its own.
            metrics.expose_in(app.state.metrics.registry)
        if app is not None and runtime is not None and webhook:
            assert settings.webhook_secret is not None
            app.include_router(runtime.webhook_router(settings.webhook_secret.get_secret_value()))
        async with AsyncExitStack() as stack:
            if app is not None:
                sock = bind_socket(settings.api_host, settings.api_port)
                stack.callback(sock.close)
                url = await stack.enter_async_context(running_api(app, sock))
                docs = f" (docs at {url}/docs)" if settings.api_docs else ""
                print(f"holos: API at {url}/api/v1{docs}", flush=True)
                # Metrics on their own listener, loopback by default: never the public app.
                metrics_sock = bind_socket(settings.metrics_host, settings.metrics_port)
                stack.callback(metrics_sock.close)
                metrics_app = create_metrics_app(app.state.metrics)
                scrape = await stack.enter_async_context(running_api(metrics_app, metrics_sock))
                print(f"holos: metrics at {scrape}/metrics", flush=True)
            if runtime is not None:
                # Stopped after the bot (unwound in reverse), which waits for files in work.
                _start_media_workers(settings, stack)
                stack.push_async_callback(runtime.stop)
                if webhook and api:
                    assert settings.webhook_url and settings.webhook_secret
                    await runtime.start_webhook(
                        settings.webhook_url, settings.webhook_secret.get_secret_value()
                    )
                    if bot:
                        runtime.start_delivery()
                    print("holos: bot receives updates by webhook", flush=True)
                elif webhook:
                    runtime.start_delivery()
                    print("holos: webhook mode: delivering replies only", flush=True)
                else:
                    await runtime.start_polling()
                    print("holos: bot is polling Telegram", flush=True)
            await stop.wait()
            print("holos: stopping", flush=True)
        return 0
    finally:
        await core.close()


def _start_media_workers(settings: Settings, stack: AsyncExitStack) -> None:
    """Files are decoded in capped worker processes (issue 18 §3), started before the
    first update so that the first file waits for none; stopped when the process ends."""
    from storage.services.attachments import media_workers

    workers = media_workers(settings)
    workers.start()
    stack.callback(workers.close)


def _redis(settings: Settings) -> Redis | None:
    if not settings.redis_url:
        return None
    from redis.asyncio import Redis

    return Redis.from_url(settings.redis_url)


async def require_current_schema(core: Core) -> None:
    from storage.migrate import current_revision, head_revision

    if await current_revision(core.database.engine) != head_revision():
        raise SettingsError("the database schema is not up to date: run `holos migrate` first")


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM: in-flight work finishes, then we exit."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def serve_sandbox(settings: Settings, *, port: int | None = None) -> int:
    """Emulator, chat page, bot and API in one process, on one port.

    ``port`` overrides HOLOS_API_PORT; 0 picks a free port, and the banner shows the
    one the socket really got.
    """
    from admin_api.app import create_app
    from admin_api.metrics import add_metrics_route
    from admin_api.server import bind_socket, running_api, socket_url
    from bot import metrics, sandbox
    from bot.runtime import BotRuntime
    from tgemu import Emulator

    sandbox_settings = sandbox.sandbox_settings(settings)
    await migrate_url(sandbox_settings.database_url)
    core = build_core(sandbox_settings)
    token = sandbox.sandbox_token()
    emulator = Emulator(sandbox_token=token)
    try:
        accounts = await sandbox.demo_accounts(core)
        app = create_app(core)
        metrics.expose_in(app.state.metrics.registry)
        # The demo serves everything on one (local) port, the scrape endpoint included.
        add_metrics_route(app, app.state.metrics)
        sandbox.mount(app, emulator)
        sock = bind_socket(
            sandbox_settings.api_host, sandbox_settings.api_port if port is None else port
        )
        base_url = socket_url(sock)
        stop = stop_on_signals()
        async with AsyncExitStack() as stack:
            stack.callback(sock.close)
            await stack.enter_async_context(running_api(app, sock))
            # Unwound in reverse: the bot stops, then the emulator ends its pending long
            # polls, then the server stops. Without that the server waits out its graceful
            # timeout for the bot's last getUpdates and then cancels it with a traceback.
            stack.push_async_callback(emulator.aclose)
            runtime = BotRuntime.create(
                core,
                token=token,
                api_url=base_url + sandbox.EMULATOR_PREFIX,
                delivery_interval=0.5,
                dedupe=False,  # the emulator counts update ids from 1 at every start
            )
            # Stopped after the bot (unwound in reverse), which waits for files in work.
            _start_media_workers(sandbox_settings, stack)
            stack.push_async_callback(runtime.stop)
            await runtime.start_polling()
            print(sandbox.banner(base_url, accounts, sandbox_settings.data_dir), flush=True)
            await stop.wait()
            print("holos: stopping", flush=True)
        return 0
    finally:
        await emulator.aclose()
        await core.close()


def serve_emulator(host: str, port: int) -> None:
    """The Telegram Bot API emulator alone (for trying a client against it)."""
    from tgemu import serve

    serve(host, port)
