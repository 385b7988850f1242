"""Conversation state (drafts) for the bot: keyed by pseudonym, encrypted, expiring.

The key is derived by the bot from its own pseudonym of the chat; this module never
sees a Telegram id. Content is encrypted as a whole; only the state name (which step
of which flow) is plain, so a dump shows no draft text.

Stored times are coarse: a draft's to the hour, a language choice's expiry to the day;
and a flow that ends (a report stored, a rating saved) deletes its row outright.

One value outlives the draft: the language the person chose (``LANGUAGE_KEY`` of the
data). It is kept apart for ``LANGUAGE_TTL`` after the last activity, and comes back as
the only data of a conversation whose draft has expired.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import DAY, HOUR, ceil_to, floor_to
from storage.core import Core
from storage.enums import Language
from storage.models import ConversationState, LanguagePreference
from storage.repositories.conversation import ConversationRepository
from storage.sealed import Context, Sealer

LANGUAGE_KEY = "locale"
LANGUAGE_TTL = timedelta(days=90)
# Activity extends the language choice at most once a day: no write on every step.
LANGUAGE_REFRESH = timedelta(days=1)


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
            language = await self.language(key)
            return {LANGUAGE_KEY: language.value} if language else {}
        return dict(self.sealer.open_json(row.data_enc, Context.CONVERSATION))

    async def language(self, key: str) -> Language | None:
        """The language chosen in this conversation, if chosen within LANGUAGE_TTL."""
        row = await self.repo.language(key)
        if row is None or row.expires_at <= self.core.clock.now():
            return None
        return Language(row.language)

    async def _keep_language(self, key: str, language: str) -> None:
        if language not in Language._value2member_map_:
            return
        now = self.core.clock.now()
        # To the day: the choice says nothing about when in the day the person wrote.
        expires_at = ceil_to(now + LANGUAGE_TTL, DAY)
        row = await self.repo.language(key)
        if row is None:
            self.repo.add_language(
                LanguagePreference(key=key, language=language, expires_at=expires_at)
            )
            return
        if row.language != language or row.expires_at < now + LANGUAGE_TTL - LANGUAGE_REFRESH:
            row.language = language
            row.expires_at = expires_at

    async def set_state(self, key: str, state: str | None) -> None:
        row = await self._touch(key)
        row.state = state
        await self._drop_if_empty(row)

    async def set_data(self, key: str, data: dict[str, Any]) -> None:
        if data.get(LANGUAGE_KEY):
            await self._keep_language(key, data[LANGUAGE_KEY])
        row = await self._touch(key)
        row.data_enc = self.sealer.seal_json(data, Context.CONVERSATION) if data else None
        await self._drop_if_empty(row)

    async def put(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        """The whole state at once, as the bot writes it after an update: the same rows as
        :meth:`set_state` then :meth:`set_data`, in one statement (an upsert) instead of a
        read and an update. No state and no data deletes the row."""
        if data.get(LANGUAGE_KEY):
            await self._keep_language(key, data[LANGUAGE_KEY])
        if state is None and not data:
            await self.repo.delete(key)
            return
        now = self.core.clock.now()
        await self.repo.put(
            key,
            state,
            self.sealer.seal_json(data, Context.CONVERSATION) if data else None,
            # To the hour (issue 10), as _touch.
            updated_at=floor_to(now, HOUR),
            expires_at=ceil_to(now + self._ttl, HOUR),
        )

    async def clear(self, key: str) -> None:
        await self.repo.delete(key)

    async def _touch(self, key: str) -> ConversationState:
        now = self.core.clock.now()
        # To the hour (issue 10): a draft row never tells the minute a person was active,
        # and the draft lives at least ``draft_ttl_hours`` (up to an hour more).
        hour = floor_to(now, HOUR)
        row = await self._live(key)
        if row is None:
            row = ConversationState(key=key, state=None, data_enc=None, updated_at=hour)
            self.repo.add(row)
        row.updated_at = hour
        row.expires_at = ceil_to(now + self._ttl, HOUR)
        return row

    async def _drop_if_empty(self, row: ConversationState) -> None:
        if row.state is None and row.data_enc is None:
            await self.repo.session.flush()
            await self.repo.delete(row.key)
