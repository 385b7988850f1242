"""Helpers for the bot runtime tests: the API served over HTTP, outbox rows, sent messages,
the command line run in this process.

A plain module (not the conftest), so tests anywhere import it: tests/test_full_loop.py
and the fault kit do too.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from admin_api.server import bind_socket, running_api
from bot import cli
from storage.core import Core
from storage.models import OutboxMessage
from tgemu import BotHandle
from tgemu.tls import shared_tls


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """``app`` on a loopback port in this event loop, and a client for it."""
    sock = bind_socket("127.0.0.1", 0)
    try:
        async with (
            running_api(app, sock) as url,
            httpx.AsyncClient(
                base_url=url, timeout=30, trust_env=False, verify=shared_tls()
            ) as http,
        ):
            yield url, http
    finally:
        sock.close()


async def outbox_rows(core: Core) -> list[OutboxMessage]:
    async with core.database.transaction() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def sent_with(tg: BotHandle, needle: str) -> list[dict[str, Any]]:
    """sendMessage calls Telegram accepted whose text contains ``needle``."""
    return [
        call
        for call in await tg.calls("sendMessage")
        if call["ok"] and needle in (call["params"].get("text") or "")
    ]


async def tried_with(tg: BotHandle, needle: str) -> list[dict[str, Any]]:
    """Every sendMessage attempt with ``needle``, refused or not (faults included)."""
    return [
        call
        for call in await tg.calls("sendMessage")
        if needle in (call["params"].get("text") or "")
    ]


async def shown_with(tg: BotHandle, needle: str) -> list[dict[str, Any]]:
    """Messages sent, or edited into, a text with ``needle`` that Telegram accepted: a step
    or the receipt usually replaces the message whose button was pressed."""
    return [
        call
        for call in await tg.calls()
        if call["method"] in ("sendMessage", "editMessageText")
        and call["ok"]
        and needle in (call["params"].get("text") or "")
    ]


# The command line, run in a clean working directory with only a secret key set (the
# ``workdir`` fixture).
CLI_SECRET = "cli-test-secret-0123456789-abcdefghijklmnop"


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    """``holos ARGS`` in this process, reading ``stdin``; its exit code."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return cli.main(list(args))
