"""Conversation state (drafts) for the bot: keyed by pseudonym, encrypted, expiring.

The key is derived by the bot from its own pseudonym of the chat; this module never
sees a Telegram id. Content is encrypted as a whole; only the state name (which step
of which flow) is plain, so a dump shows no draft text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.core import Core
from storage.models import ConversationState
from storage.repositories.conversation import ConversationRepository
from storage.sealed import Context, Sealer


class ConversationStore:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.repo = ConversationRepository(session)
        self.core = core
        self.sealer = Sealer(core.crypto)

    @property
    def _ttl(self) -> timedelta:
        return timedelta(hours=self.core.settings.draft_ttl_hours)

    async def _live(self, key: str) -> ConversationState | None:
        row = await self.repo.get(key)
        if row is None:
            return None
        if row.expires_at <= self.core.clock.now():
            await self.repo.delete(key)
            return None
        return row

    async def get_state(self, key: str) -> str | None:
        row = await self._live(key)
        return row.state if row else None

    async def get_data(self, key: str) -> dict[str, Any]:
        row = await self._live(key)
        if row is None or row.data_enc is None:
            return {}
        return dict(self.sealer.open_json(row.data_enc, Context.CONVERSATION))

    async def set_state(self, key: str, state: str | None) -> None:
        row = await self._touch(key)
        row.state = state
        await self._drop_if_empty(row)

    async def set_data(self, key: str, data: dict[str, Any]) -> None:
        row = await self._touch(key)
        row.data_enc = self.sealer.seal_json(data, Context.CONVERSATION) if data else None
        await self._drop_if_empty(row)

    async def clear(self, key: str) -> None:
        await self.repo.delete(key)

    async def _touch(self, key: str) -> ConversationState:
        now = self.core.clock.now()
        row = await self._live(key)
        if row is None:
            row = ConversationState(key=key, state=None, data_enc=None, updated_at=now)
            self.repo.add(row)
        row.updated_at = now
        row.expires_at = now + self._ttl
        return row

    async def _drop_if_empty(self, row: ConversationState) -> None:
        if row.state is None and row.data_enc is None:
            await self.repo.session.flush()
            await self.repo.delete(row.key)
