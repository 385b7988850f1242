"""Fixtures for the bot runtime tests: the shared Redis, a clean working directory.

Helpers live in tests/bot/helpers.py; the names below are imported for the fixtures and
re-exported only so that a test still importing them from here keeps working.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.bot.helpers import CLI_SECRET as CLI_SECRET
from tests.bot.helpers import outbox_rows as outbox_rows
from tests.bot.helpers import run_cli as run_cli
from tests.bot.helpers import sent_with as sent_with
from tests.bot.helpers import served as served
from tests.bot.helpers import tried_with as tried_with
from tests.services import reachable_redis


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """The shared test Redis (skipped with the reason when unreachable, unless required)."""
    client = await reachable_redis()
    yield client
    await client.aclose()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("HOLOS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOLOS_SECRET_KEY", CLI_SECRET)
    return tmp_path
