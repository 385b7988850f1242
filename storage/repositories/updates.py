"""Ids of the Telegram updates already handled (exactly-once effects across restarts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from storage.clock import MINUTE, floor_to
from storage.models import ProcessedUpdate
from storage.repositories.base import Repository


class ProcessedUpdates(Repository):
    """Handled updates by tag (storage.crypto.Crypto.update_tag), never by their id."""

    async def seen(self, tag: int) -> bool:
        stmt = select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == tag)
        return await self.session.scalar(stmt) is not None

    async def record(self, tag: int, now: datetime) -> None:
        # The caller holds the chat's isolation lock, so a plain insert cannot race
        # with another delivery of the same update.
        # To the minute (issue 10): enough for forgetting old ids, not for lining an
        # update up with the case it made.
        self.session.add(ProcessedUpdate(update_id=tag, handled_at=floor_to(now, MINUTE)))
        await self.session.flush()

    async def forget_before(self, cutoff: datetime) -> int:
        return await self.execute_counted(
            delete(ProcessedUpdate).where(ProcessedUpdate.handled_at < cutoff)
        )
