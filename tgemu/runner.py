"""Running the emulator: in the current event loop, in its own thread, or as a CLI server.

pytest-asyncio gives each test its own event loop, so a session-wide emulator must run in a
thread with its own loop (``EmulatorThread``); a per-test one can run in the test's loop
(``run_emulator``). Both bind a loopback socket themselves, so port 0 means "any free port" and
the URL is known before the first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
import uvloop

from tgemu.app import create_app
from tgemu.state import Emulator

logger = logging.getLogger(__name__)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on sockets that say
    # TCP, and without it each small answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _config(app: Any, log_level: str) -> uvicorn.Config:
    # access_log stays off: Bot API URLs carry the bot token.
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        ws="none",
    )


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host (pytest, the sandbox)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class RunningEmulator:
    """A started emulator: its URL and its in-process state."""

    base_url: str
    emulator: Emulator
    server: uvicorn.Server

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])


@contextlib.asynccontextmanager
async def run_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    emulator: Emulator | None = None,
    log_level: str = "warning",
) -> AsyncIterator[RunningEmulator]:
    """Serve the emulator in the running event loop for the duration of the block."""
    emulator = emulator or Emulator()
    sock = _bind(host, port)
    server = _EmbeddedServer(_config(create_app(emulator), log_level))
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # re-raise the start-up failure
                raise RuntimeError("emulator server stopped during start-up")
            await asyncio.sleep(0.01)
        yield RunningEmulator(_base_url(sock), emulator, server)
    finally:
        await emulator.aclose()
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


class EmulatorThread:
    """The emulator on its own event loop in a daemon thread (for session-wide fixtures).

    Talk to it over HTTP (``EmulatorClient(thread.base_url)``); reading ``thread.emulator``
    directly is fine for assertions, but mutate it only through the control API.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        emulator: Emulator | None = None,
        log_level: str = "warning",
    ) -> None:
        self.emulator = emulator or Emulator()
        self._host = host
        self._port = port
        self._log_level = log_level
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.base_url = ""

    def start(self, timeout: float = 10.0) -> EmulatorThread:
        sock = _bind(self._host, self._port)
        self.base_url = _base_url(sock)
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name="holos-emulator", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the emulator did not start in time")
        if self._error is not None:
            raise RuntimeError("the emulator failed to start") from self._error
        return self

    def _run(self, sock: socket.socket) -> None:
        # uvloop, as the bot it serves runs on (holos's processes start theirs with it).
        loop = uvloop.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        server = _EmbeddedServer(_config(create_app(self.emulator), self._log_level))
        self._server = server

        async def main() -> None:
            serving = loop.create_task(server.serve(sockets=[sock]))
            while not server.started and not serving.done():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            self._ready.set()
            await serving

        try:
            loop.run_until_complete(main())
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()
            sock.close()
            loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._thread is None or self._server is None:
            return
        server = self._server
        loop = self._loop
        if not loop.is_closed():

            async def shutdown() -> None:
                await self.emulator.aclose()
                server.should_exit = True

            with contextlib.suppress(RuntimeError):
                asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> EmulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    host: str = "127.0.0.1",
    port: int = 8081,
    *,
    sandbox_token: str | None = None,
    log_level: str = "info",
    latency_ms: float = 0.0,
    webhook_retry_initial: float = 1.0,
    webhook_retry_max: float = 60.0,
) -> None:
    """Run the emulator in the foreground until interrupted (``holos emulator``)."""
    emulator = Emulator(
        sandbox_token=sandbox_token,
        latency_ms=latency_ms,
        webhook_retry_initial=webhook_retry_initial,
        webhook_retry_max=webhook_retry_max,
    )
    sock = _bind(host, port)
    logger.warning("Telegram Bot API emulator on %s (chat page: /sandbox/)", _base_url(sock))
    config = _config(create_app(emulator), log_level)
    server = uvicorn.Server(config)

    async def main() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            await emulator.aclose()

    asyncio.run(main())
