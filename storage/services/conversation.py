"""Conversation state (drafts) for the bot: under per-person keys, encrypted, expiring.

The keys are derived by the bot from the person's keys (storage.crypto.PersonKeys);
this module never sees a Telegram id. Content is encrypted as a whole; only the state
name (which step of which flow) is plain, so a dump shows no draft text.

Stored times are coarse: a draft's to the hour, a language choice's expiry to the day;
and a flow that ends (a report stored, a rating saved) deletes its row outright.

One value outlives the draft: the language the person chose (``LANGUAGE_KEY`` of the
data). It is kept apart, under a key of its own, for ``LANGUAGE_TTL`` after the choice,
and comes back as the only data of a conversation whose draft has expired.

This is where drafts live on SQLite. On PostgreSQL they never do: dead row versions
and the WAL keep old drafts beyond anything a vacuum controls, so the bot keeps them in
Redis there (bot.fsm.RedisStorage).
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class ConversationKeys:
    """Where one conversation is kept: its draft's key and the person's language key,
    two unrelated values (storage.crypto.PersonKeys), so the kept language row cannot be
    matched to any draft by its key."""

    draft: str
    language: str


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

    async def get_state(self, keys: ConversationKeys) -> str | None:
        row = await self._live(keys.draft)
        return row.state if row else None

    async def get_data(self, keys: ConversationKeys) -> dict[str, Any]:
        row = await self._live(keys.draft)
        if row is None or row.data_enc is None:
            language = await self.language(keys.language)
            return {LANGUAGE_KEY: language.value} if language else {}
        return dict(self.sealer.open_json(row.data_enc, Context.CONVERSATION))

    async def language(self, key: str) -> Language | None:
        """The language chosen, if chosen within LANGUAGE_TTL."""
        row = await self.repo.language(key)
        if row is None or row.expires_at <= self.core.clock.now():
            return None
        return Language(row.language)

    async def _keep_language(self, key: str, language: str) -> None:
        """Write the choice when it is new or changed, and only then: a row rewritten as
        the person goes on using the bot would sit in the database's log beside their
        draft's writes (issue 18). So it lapses 90 days after the choice, and is kept
        again by the next step of a conversation that still carries it."""
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
        if row.language != language or row.expires_at <= now:
            row.language = language
            row.expires_at = expires_at

    async def set_state(self, keys: ConversationKeys, state: str | None) -> None:
        row = await self._touch(keys.draft)
        row.state = state
        await self._drop_if_empty(row)

    async def set_data(self, keys: ConversationKeys, data: dict[str, Any]) -> None:
        if data.get(LANGUAGE_KEY):
            await self._keep_language(keys.language, data[LANGUAGE_KEY])
        row = await self._touch(keys.draft)
        row.data_enc = self.sealer.seal_json(data, Context.CONVERSATION) if data else None
        await self._drop_if_empty(row)

    async def put(
        self,
        keys: ConversationKeys,
        state: str | None,
        data: dict[str, Any],
        *,
        replaces: str | None = None,
    ) -> None:
        """The whole state at once, as the bot writes it after an update: the same rows as
        :meth:`set_state` then :meth:`set_data`, in one statement (an upsert) instead of a
        read and an update. No state and no data deletes the row. ``replaces``: the key
        the draft was read from, when another (yesterday's): that row goes."""
        if data.get(LANGUAGE_KEY):
            await self._keep_language(keys.language, data[LANGUAGE_KEY])
        if replaces is not None and replaces != keys.draft:
            await self.repo.delete(replaces)
        if state is None and not data:
            await self.repo.delete(keys.draft)
            return
        now = self.core.clock.now()
        await self.repo.put(
            keys.draft,
            state,
            self.sealer.seal_json(data, Context.CONVERSATION) if data else None,
            # To the hour (issue 10), as _touch.
            updated_at=floor_to(now, HOUR),
            expires_at=ceil_to(now + self._ttl, HOUR),
        )

    async def clear(self, keys: ConversationKeys) -> None:
        await self.repo.delete(keys.draft)

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
