from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from storage.models import ConversationState
from storage.repositories.base import Repository


class ConversationRepository(Repository):
    async def get(self, key: str) -> ConversationState | None:
        return await self.session.get(ConversationState, key)

    def add(self, row: ConversationState) -> None:
        self.session.add(row)

    async def delete(self, key: str) -> None:
        await self.session.execute(delete(ConversationState).where(ConversationState.key == key))

    async def delete_expired(self, now: datetime) -> int:
        result = await self.session.execute(
            delete(ConversationState).where(ConversationState.expires_at < now)
        )
        return int(result.rowcount or 0)

    async def count_expired(self, now: datetime) -> int:
        stmt = select(func.count()).where(ConversationState.expires_at < now)
        return int(await self.session.scalar(stmt) or 0)
