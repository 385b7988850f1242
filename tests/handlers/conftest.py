from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tgemu import BotHandle


@pytest.fixture(autouse=True)
async def no_invalid_bot_api_calls(tg: BotHandle) -> AsyncIterator[None]:
    """Every conversation test also proves the bot made no call Telegram would refuse."""
    yield
    assert await tg.invalid_calls() == []
