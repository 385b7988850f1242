"""The bot commits in one named step (storage.uow.UnitOfWork.commit_before_reply), and the
Bot API client only checks that it was taken: a call to Telegram with the update's writes
pending is refused, loudly, and nothing is committed behind the handler's back."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod
from aiogram.methods.base import Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.requests import ResilientRequests
from storage.core import Core
from storage.uow import CommitStepMissing, UnitOfWork


async def _telegram(bot: Bot, method: TelegramMethod[Any]) -> Response[Any]:
    return Response[Any](ok=True, result=True)


async def _call(method: TelegramMethod[Any]) -> None:
    bot = Bot("42:COMMIT-STEP")
    try:
        await ResilientRequests(pacer=None)(_telegram, bot, method)
    finally:
        await bot.session.close()


async def _draft_write(session: AsyncSession) -> None:
    await session.execute(text("SELECT 1"))


async def test_a_reply_with_writes_pending_is_refused_until_the_step_is_taken(
    bot_core: Core,
) -> None:
    uow = UnitOfWork(bot_core.database)
    token = uow.activate()
    try:
        uow.defer("draft", _draft_write)  # the draft, written with the next commit
        with pytest.raises(CommitStepMissing, match="sendMessage"):
            await _call(SendMessage(chat_id=1, text="Received: 2 messages"))
        assert uow.pending and uow.commits == 0  # the client committed nothing
        # A call that tells the person nothing needs only the lock free.
        await _call(AnswerCallbackQuery(callback_query_id="1"))
        await uow.session.execute(text("SELECT 1"))  # a write transaction is open
        with pytest.raises(CommitStepMissing, match="answerCallbackQuery"):
            await _call(AnswerCallbackQuery(callback_query_id="1"))

        await uow.commit_before_reply()
        assert not uow.pending and uow.commits >= 1
        await _call(SendMessage(chat_id=1, text="Received: 2 messages"))
    finally:
        UnitOfWork.deactivate(token)
        await uow.finish(ok=False)


async def test_outside_an_update_nothing_is_checked(bot_core: Core) -> None:
    # The delivery worker and the webhook set-up call Telegram with no unit of work.
    assert UnitOfWork.current() is None
    await _call(SendMessage(chat_id=1, text="a reply from staff"))
