"""Conversation state for aiogram, kept the Holos way (SPEC §4 "Pseudonym").

Keys are pseudonyms: HMAC of (bot, chat, user, destiny) under the server secret, so
neither the database nor Redis ever holds a Telegram id. Data is encrypted, and
expires after ``draft_ttl_hours`` idle.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, KeyBuilder, StateType, StorageKey
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from storage.clock import DAY, HOUR, ceil_to
from storage.core import Core
from storage.enums import Language
from storage.repositories.conversation import Snapshot, read_snapshot
from storage.sealed import Context
from storage.services.conversation import LANGUAGE_KEY, LANGUAGE_TTL, ConversationStore
from storage.uow import UnitOfWork

_CACHE = "fsm"


@dataclass(frozen=True)
class _Entry:
    state: str | None
    data: dict[str, Any]


# The state read last in this task outside a unit of work (see DatabaseStorage._entry).
_preloaded: ContextVar[tuple[str, _Entry] | None] = ContextVar("holos_fsm_preloaded", default=None)


# The update whose redelivery check rides on the state read (set by the dispatcher), and
# that check's answer: one short read scope per update instead of two. The state is read
# under the chat's isolation lock, as the check must be (bot.middlewares.UpdateScopeMiddleware).
_check_update: ContextVar[int | None] = ContextVar("holos_fsm_check_update", default=None)
_update_seen: ContextVar[tuple[int, bool] | None] = ContextVar(
    "holos_fsm_update_seen", default=None
)


def check_update_with_state(update_id: int) -> Token[int | None]:
    """Have this task's state read also tell whether ``update_id`` was handled before."""
    _update_seen.set(None)
    return _check_update.set(update_id)


def stop_checking_update(token: Token[int | None]) -> None:
    _check_update.reset(token)
    _update_seen.set(None)


def seen_with_state(update_id: int) -> bool | None:
    """Whether ``update_id`` was handled before, if the state read checked it; else None."""
    checked = _update_seen.get()
    return checked[1] if checked is not None and checked[0] == update_id else None


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class PseudonymKeyBuilder(KeyBuilder):
    """Storage and lock keys that carry a pseudonym instead of chat and user ids."""

    def __init__(self, core: Core, prefix: str = "holos") -> None:
        self.core = core
        self.prefix = prefix

    @staticmethod
    def _composite(key: StorageKey) -> str:
        return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or ''}:{key.destiny}"

    def pseudonym(self, key: StorageKey) -> str:
        return self.core.crypto.pseudonym(self._composite(key))

    async def pseudonym_async(self, key: StorageKey) -> str:
        """The same, drawn off the event loop when new (storage.crypto)."""
        return await self.core.crypto.pseudonym_async(self._composite(key))

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        return ":".join(p for p in (self.prefix, "fsm", self.pseudonym(key), part) if p)


class DatabaseStorage(BaseStorage):
    """State in the ``conversation_states`` table.

    Inside an update the state is read once without a write lock, changed in memory, and
    written with the update's next commit (see :mod:`storage.uow`): never a transaction
    held across a Telegram call, and a draft ends in the transaction that stores its case.
    Outside an update each call is its own short scope."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.keys = PseudonymKeyBuilder(core)

    def _interpret(self, snapshot: Snapshot) -> _Entry:
        # A pure read: an expired row reads as empty (the purge deletes it).
        now = self.core.clock.now()
        live = snapshot.expires_at is not None and snapshot.expires_at > now
        if not live or snapshot.data_enc is None:
            # The chosen language outlives the draft (storage.services.conversation).
            language = (
                snapshot.language
                if snapshot.language_expires_at is not None and snapshot.language_expires_at > now
                else None
            )
            data = {LANGUAGE_KEY: Language(language).value} if language else {}
            return _Entry(snapshot.state if live else None, data)
        data = json.loads(self.core.crypto.decrypt_text(snapshot.data_enc, Context.CONVERSATION))
        return _Entry(snapshot.state, data)

    async def _entry(self, key: StorageKey) -> _Entry:
        pseudonym = await self.keys.pseudonym_async(key)
        uow = UnitOfWork.current()
        if uow is None:
            update_id = _check_update.get()
            if update_id is not None:
                _check_update.set(None)
            # One statement, no transaction around it: the state, the language and the
            # redelivery check in one consistent read.
            async with self.core.database.single_statement() as connection:
                snapshot = await read_snapshot(connection, pseudonym, update_id)
            if update_id is not None:
                assert snapshot.update_seen is not None
                _update_seen.set((update_id, snapshot.update_seen))
            entry = self._interpret(snapshot)
            # aiogram reads the state under the chat's lock just before the update's
            # unit of work begins, in the same task: hand it over instead of reading twice.
            _preloaded.set((pseudonym, entry))
            return entry
        cached = uow.cache.get((_CACHE, pseudonym))
        if cached is None:
            preloaded = _preloaded.get()
            if preloaded is not None and preloaded[0] == pseudonym:
                cached = preloaded[1]
            else:
                async with uow.reading() as session:
                    cached = self._interpret(await read_snapshot(session, pseudonym, None))
            uow.cache[(_CACHE, pseudonym)] = cached
        return cast(_Entry, cached)

    async def _save(self, key: StorageKey, entry: _Entry) -> None:
        pseudonym = await self.keys.pseudonym_async(key)

        async def write(session: AsyncSession) -> None:
            await ConversationStore(session, self.core).put(pseudonym, entry.state, entry.data)

        uow = UnitOfWork.current()
        if uow is None:
            _preloaded.set(None)
            async with self.core.database.transaction() as session:
                await write(session)
            return
        uow.cache[(_CACHE, pseudonym)] = entry
        uow.defer((_CACHE, pseudonym), write)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        entry = await self._entry(key)
        await self._save(key, _Entry(_state_name(state), entry.data))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._entry(key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        entry = await self._entry(key)
        await self._save(key, _Entry(entry.state, copy.deepcopy(dict(data))))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        # A copy, as a fresh decode would be: a handler may change what it gets.
        return copy.deepcopy((await self._entry(key)).data)

    async def close(self) -> None:
        return None


class RedisStorage(BaseStorage):
    """State in Redis for several bot instances sharing one token; same privacy rules."""

    def __init__(self, core: Core, redis: Redis) -> None:
        self.core = core
        self.redis = redis
        self.keys = PseudonymKeyBuilder(core)

    def _expire_at(self, ttl: timedelta, unit: timedelta = HOUR) -> int:
        """An absolute expiry rounded up to ``unit``: a key's remaining TTL would
        otherwise tell the second it was last written (issue 10, "no timing trail")."""
        # Redis expires by the wall clock, whatever clock the rules run on.
        return int(ceil_to(datetime.now(UTC) + ttl, unit).timestamp())

    @property
    def _ttl(self) -> int:
        return self._expire_at(timedelta(hours=self.core.settings.draft_ttl_hours))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = _state_name(state)
        redis_key = self.keys.build(key, "state")
        if name is None:
            await self.redis.delete(redis_key)
        else:
            await self.redis.set(redis_key, name, exat=self._ttl)
        await self.redis.expireat(self.keys.build(key, "data"), self._ttl)

    async def get_state(self, key: StorageKey) -> str | None:
        value = await self.redis.get(self.keys.build(key, "state"))
        return value.decode() if isinstance(value, bytes) else value

    def _language_key(self, key: StorageKey) -> str:
        return ":".join((self.keys.prefix, "fsm", self.keys.pseudonym(key), "language"))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        # The chosen language outlives the draft (see storage.services.conversation).
        language = data.get(LANGUAGE_KEY)
        if isinstance(language, str) and language in Language._value2member_map_:
            await self.redis.set(
                self._language_key(key), language, exat=self._expire_at(LANGUAGE_TTL, DAY)
            )
        redis_key = self.keys.build(key, "data")
        if not data:
            await self.redis.delete(redis_key)
            return
        sealed = self.core.crypto.encrypt_text(
            json.dumps(dict(data), ensure_ascii=False), Context.CONVERSATION
        )
        await self.redis.set(redis_key, sealed, exat=self._ttl)
        await self.redis.expireat(self.keys.build(key, "state"), self._ttl)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        sealed = await self.redis.get(self.keys.build(key, "data"))
        if not sealed:
            language = await self.redis.get(self._language_key(key))
            if isinstance(language, bytes):
                language = language.decode()
            return {LANGUAGE_KEY: language} if language in Language._value2member_map_ else {}
        raw = sealed.encode() if isinstance(sealed, str) else sealed
        data: dict[str, Any] = json.loads(self.core.crypto.decrypt_text(raw, Context.CONVERSATION))
        return data

    async def close(self) -> None:
        await self.redis.aclose()
