"""Conversation state for aiogram, kept the Holos way (SPEC §4 "Pseudonym").

Keys are pseudonyms: HMAC of (bot, chat, user, destiny) under the server secret, so
neither the database nor Redis ever holds a Telegram id. Data is encrypted, and
expires after ``draft_ttl_hours`` idle.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, KeyBuilder, StateType, StorageKey
from redis.asyncio import Redis

from storage.core import Core
from storage.sealed import Context
from storage.services.conversation import ConversationStore
from storage.uow import UnitOfWork


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class PseudonymKeyBuilder(KeyBuilder):
    """Storage and lock keys that carry a pseudonym instead of chat and user ids."""

    def __init__(self, core: Core, prefix: str = "holos") -> None:
        self.core = core
        self.prefix = prefix

    def pseudonym(self, key: StorageKey) -> str:
        return self.core.crypto.pseudonym(
            f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or ''}:{key.destiny}"
        )

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        return ":".join(p for p in (self.prefix, "fsm", self.pseudonym(key), part) if p)


class DatabaseStorage(BaseStorage):
    """State in the ``conversation_states`` table, inside the update's unit of work."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.keys = PseudonymKeyBuilder(core)

    @asynccontextmanager
    async def _store(self) -> Any:
        # Inside an update, share its transaction: on SQLite a second writer from the
        # same task would wait for a lock its own update holds.
        uow = UnitOfWork.current()
        if uow is not None:
            yield ConversationStore(uow.session, self.core)
            return
        async with self.core.database.transaction() as session:
            yield ConversationStore(session, self.core)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        async with self._store() as store:
            await store.set_state(self.keys.pseudonym(key), _state_name(state))

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._store() as store:
            return await store.get_state(self.keys.pseudonym(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._store() as store:
            await store.set_data(self.keys.pseudonym(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._store() as store:
            return await store.get_data(self.keys.pseudonym(key))

    async def close(self) -> None:
        return None


class RedisStorage(BaseStorage):
    """State in Redis for several bot instances sharing one token; same privacy rules."""

    def __init__(self, core: Core, redis: Redis) -> None:
        self.core = core
        self.redis = redis
        self.keys = PseudonymKeyBuilder(core)

    @property
    def _ttl(self) -> int:
        return int(self.core.settings.draft_ttl_hours * 3600)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = _state_name(state)
        redis_key = self.keys.build(key, "state")
        if name is None:
            await self.redis.delete(redis_key)
        else:
            await self.redis.set(redis_key, name, ex=self._ttl)
        await self.redis.expire(self.keys.build(key, "data"), self._ttl)

    async def get_state(self, key: StorageKey) -> str | None:
        value = await self.redis.get(self.keys.build(key, "state"))
        return value.decode() if isinstance(value, bytes) else value

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        redis_key = self.keys.build(key, "data")
        if not data:
            await self.redis.delete(redis_key)
            return
        sealed = self.core.crypto.encrypt_text(
            json.dumps(dict(data), ensure_ascii=False), Context.CONVERSATION
        )
        await self.redis.set(redis_key, sealed, ex=self._ttl)
        await self.redis.expire(self.keys.build(key, "state"), self._ttl)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        sealed = await self.redis.get(self.keys.build(key, "data"))
        if not sealed:
            return {}
        return json.loads(self.core.crypto.decrypt_text(sealed, Context.CONVERSATION))

    async def close(self) -> None:
        await self.redis.aclose()
