"""Serving the API with uvicorn, in the caller's event loop.

``holos api`` and ``holos run`` (beside the bot, in the same loop) both serve through
:func:`running_api`. Binding the socket before serving (:func:`bind_socket`) means the port is
known, and accepting, before the first request; connections made meanwhile wait in the
backlog. uvicorn's access log stays off: paths hold case references and the query
string may hold search words from narratives.

Long-running servers run on uvloop (``holos run/api/bot/sandbox`` start their loop with
``uvloop.run``) and the API parses HTTP with httptools:
both are C implementations of what asyncio and h11 do in Python, and take a visible
share of each request's CPU off a two-core machine (see the README's Performance).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from fastapi import FastAPI

log = logging.getLogger("holos.api")


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one (see :func:`socket_url`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on connections
    # whose socket says TCP, and without it every small answer waits ~40 ms (Nagle and
    # delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class ApiServer(uvicorn.Server):
    """uvicorn's server, embedded: it leaves SIGINT/SIGTERM to its host (the CLI, which
    may run the bot too, or pytest) and stops when told to."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def stop(self) -> None:
        self.should_exit = True


def make_server(app: FastAPI, *, log_level: str = "warning") -> ApiServer:
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        ws="none",
        http="httptools",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return ApiServer(config)


@contextlib.asynccontextmanager
async def running_api(app: FastAPI, sock: socket.socket) -> AsyncIterator[str]:
    """Serve ``app`` on ``sock`` in the running loop for the block; yields the base URL.

    For embedding (``holos run``, tests): signals stay with the host, and leaving the
    block stops the server and waits for it.
    """
    server = make_server(app)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        yield socket_url(sock)
    finally:
        server.stop()
        await task  # re-raises whatever stopped the server
