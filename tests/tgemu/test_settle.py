"""The client's settle hook: an answer is complete when the bot says it is idle, not after a
spell of silence (a slow handler's second message comes long after ``quiet``)."""

from __future__ import annotations

import asyncio

import pytest

from tests.tgemu.helpers import ApiCall
from tgemu import EmulatorClient


async def slow_handler(api: ApiCall, chat_id: int, done: asyncio.Event) -> None:
    """A bot that answers in two steps with a pause between them far longer than ``quiet``."""
    for text in ("first", "second"):
        body = (await api("sendMessage", {"chat_id": chat_id, "text": text})).json()
        assert body["ok"], body
        if text == "first":
            await asyncio.sleep(0.4)
    done.set()


@pytest.mark.parametrize("with_settle", [False, True])
async def test_an_answer_waits_for_the_bot_to_settle(
    api: ApiCall, base_url: str, token: str, with_settle: bool
) -> None:
    async with EmulatorClient(base_url, quiet=0.03) as client:
        handle = client.bot(token)
        done = asyncio.Event()
        if with_settle:
            handle.settle = done.wait
        user = await handle.create_user(id=7301)
        sent = await user.send_text("hello", wait=False)
        assert not sent
        bot = asyncio.create_task(slow_handler(api, user.id, done))
        replies = await user.wait_reply(timeout=5)
        await bot
    expected = ["first", "second"] if with_settle else ["first"]
    assert [message.body for message in replies] == expected
