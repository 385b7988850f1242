from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from storage.models import ConversationState, LanguagePreference
from storage.repositories.base import Repository


class ConversationRepository(Repository):
    async def get(self, key: str) -> ConversationState | None:
        return await self.session.get(ConversationState, key)

    def add(self, row: ConversationState) -> None:
        self.session.add(row)

    async def delete(self, key: str) -> None:
        await self.session.execute(delete(ConversationState).where(ConversationState.key == key))

    async def language(self, key: str) -> LanguagePreference | None:
        return await self.session.get(LanguagePreference, key)

    def add_language(self, row: LanguagePreference) -> None:
        self.session.add(row)

    async def delete_expired(self, now: datetime) -> int:
        """Expired drafts (counted) and expired language choices (not drafts)."""
        await self.session.execute(
            delete(LanguagePreference).where(LanguagePreference.expires_at < now)
        )
        return await self.execute_counted(
            delete(ConversationState).where(ConversationState.expires_at < now)
        )

    async def count_expired(self, now: datetime) -> int:
        stmt = select(func.count()).where(ConversationState.expires_at < now)
        return int(await self.session.scalar(stmt) or 0)
