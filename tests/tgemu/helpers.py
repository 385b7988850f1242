"""Helpers for the emulator's tests: tokens, the raw Bot API call type, waiting for state
another task settles. A plain module (not the conftest), so tests import it."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

SANDBOX_TOKEN = "999000:" + "S" * 35

ApiCall = Callable[..., Awaitable[httpx.Response]]


def make_token() -> str:
    """A well-formed, never-real token: each one is an isolated world in the emulator."""
    return f"{secrets.randbelow(10**9) + 10**6}:{secrets.token_urlsafe(30)[:35]}"


async def eventually(
    probe: Callable[[], Awaitable[Any]], check: Callable[[Any], bool], within: float = 5.0
) -> Any:
    """Re-run ``probe`` until ``check`` accepts its result (for state another task settles)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if check(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within} s; last value: {value!r}")
        await asyncio.sleep(0.02)
