"""Conversation state for aiogram, kept the Holos way (docs/privacy-rules.md, "Pseudonyms").

Keys are the person's per-purpose keys (storage.crypto.PersonKeys): a draft's is an HMAC
of the person's Argon2id root over the conversation (bot, chat, thread, destiny) and the
day, the kept language's another, the lock's another; neither the database nor Redis
ever holds a Telegram id, and no key says which other keys are the same person's. Data
is encrypted, and expires after ``draft_ttl_hours`` idle.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from aiogram import Bot
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.redis import RedisEventIsolation
from aiogram.types import TelegramObject
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from bot.redelivery import Redelivery
from storage.clock import DAY, HOUR, ceil_to
from storage.core import Core
from storage.crypto import PersonKeys
from storage.enums import Language
from storage.repositories.conversation import Snapshot, read_snapshot
from storage.sealed import Context
from storage.services.conversation import (
    LANGUAGE_KEY,
    LANGUAGE_TTL,
    ConversationKeys,
    ConversationStore,
)
from storage.uow import UnitOfWork

# A write of one conversation's state: into the update's session (the database), or to
# Redis (which ignores the session).
Writer = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class _Entry:
    state: str | None
    data: dict[str, Any]
    # The key the draft row was read from (None: no row), to delete when it moves.
    found_under: str | None = None


@dataclass(frozen=True)
class FirstRead:
    """An update's first read of its conversation state, under the chat's lock
    (:class:`UpdateStateMiddleware`), handed on in the update's data: to the unit of work,
    so the state is not read a second time (:meth:`prime`), and to the redelivery check
    (``seen``: whether the update was handled before, when the read carried the check;
    None when it did not, see bot.redelivery)."""

    cache_key: Hashable
    entry: _Entry
    seen: bool | None

    def prime(self, uow: UnitOfWork) -> None:
        uow.cache.setdefault(self.cache_key, self.entry)


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class PersonKeyBuilder(KeyBuilder):
    """Storage and lock keys derived from the person's keys (storage.crypto.PersonKeys):
    never a chat or user id, and never the same value for two purposes."""

    def __init__(self, core: Core, prefix: str = "holos") -> None:
        self.core = core
        self.prefix = prefix

    @staticmethod
    def conversation(key: StorageKey) -> str:
        """Which of the person's conversations (the user is the person, see below)."""
        return (
            f"{key.bot_id}:{key.chat_id}:{key.thread_id or ''}:"
            f"{key.business_connection_id or ''}:{key.destiny}"
        )

    def person(self, key: StorageKey) -> PersonKeys:
        return self.core.crypto.person(key.user_id)

    async def person_async(self, key: StorageKey) -> PersonKeys:
        """The same, drawn off the event loop when new (storage.crypto)."""
        return await self.core.crypto.person_async(key.user_id)

    def keys(self, person: PersonKeys, key: StorageKey) -> tuple[ConversationKeys, str]:
        """Today's keys of this conversation, and the key its draft had yesterday (a
        draft started yesterday is found there, and moves to today's key when next
        written)."""
        today = self.core.clock.now().date()
        conversation = self.conversation(key)
        return (
            ConversationKeys(person.draft(conversation, today), person.language()),
            person.draft(conversation, today - timedelta(days=1)),
        )

    def redis_key(self, value: str, part: str) -> str:
        return f"{self.prefix}:fsm:{value}:{part}"

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        person = self.person(key)
        if part == "lock":
            return self.redis_key(person.lock(self.conversation(key)), "lock")
        return self.redis_key(self.keys(person, key)[0].draft, part or "data")


class PersonEventIsolation(RedisEventIsolation):
    """aiogram's per-chat lock in Redis, its key drawn off the event loop: aiogram builds
    the key synchronously, which for a new person would run the Argon2id on the loop."""

    def __init__(self, redis: Redis, key_builder: PersonKeyBuilder) -> None:
        super().__init__(redis=redis, key_builder=key_builder)
        self.person_keys = key_builder

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        await self.person_keys.person_async(key)  # cached from here on
        async with super().lock(key):
            yield None


class _UpdateScopedStorage(BaseStorage):
    """A conversation's state read once per update and written with the update's next
    commit (storage.uow), never before the database has what the update did: a draft
    never shows a step whose effects were not stored (and a redelivered update then
    finds nothing half-done). Outside an update each call reads and writes at once."""

    _cache = "fsm"
    # Whether the first read can answer the redelivery check in the same statement.
    carries_redelivery_check = False

    def __init__(self, core: Core) -> None:
        self.core = core
        self.keys = PersonKeyBuilder(core)

    async def _load(self, keys: ConversationKeys, yesterday: str, uow: UnitOfWork | None) -> _Entry:
        """Read the entry (in a unit of work: within it)."""
        raise NotImplementedError

    async def _load_checking(
        self, keys: ConversationKeys, yesterday: str, update_tag: int | None
    ) -> tuple[_Entry, bool | None]:
        """Read the entry before the update's unit of work, and answer the redelivery
        check with it if this storage can (None: it cannot, or nothing was asked)."""
        return await self._load(keys, yesterday, None), None

    async def read_first(self, key: StorageKey, update_tag: int | None) -> FirstRead:
        """The update's first read of its state (see :class:`FirstRead`)."""
        person = await self.keys.person_async(key)
        keys, yesterday = self.keys.keys(person, key)
        entry, seen = await self._load_checking(keys, yesterday, update_tag)
        return FirstRead((self._cache, keys.draft), entry, seen)

    def _writer(
        self, keys: ConversationKeys, yesterday: str, entry: _Entry, replaces: str | None
    ) -> Writer:
        """The write of ``entry`` (``replaces``: the key it was read from)."""
        raise NotImplementedError

    def _defer(self, uow: UnitOfWork, key: str, write: Writer) -> None:
        raise NotImplementedError

    async def _write_now(self, write: Writer) -> None:
        raise NotImplementedError

    async def _entry(self, key: StorageKey) -> _Entry:
        person = await self.keys.person_async(key)
        keys, yesterday = self.keys.keys(person, key)
        uow = UnitOfWork.current()
        if uow is None:
            return await self._load(keys, yesterday, None)
        # The update's first read is already there (FirstRead.prime).
        cached = uow.cache.get((self._cache, keys.draft))
        if cached is None:
            cached = await self._load(keys, yesterday, uow)
            uow.cache[(self._cache, keys.draft)] = cached
        return cast(_Entry, cached)

    async def _save(self, key: StorageKey, before: _Entry, state: str | None, data: Any) -> None:
        person = await self.keys.person_async(key)
        keys, yesterday = self.keys.keys(person, key)
        # Where the stored draft is until this write lands: a later write in this update
        # replaces this one, and must still delete yesterday's row.
        entry = _Entry(state, data, before.found_under)
        write = self._writer(keys, yesterday, entry, before.found_under)
        ended = before.state is not None and state is None
        uow = UnitOfWork.current()
        if uow is None:
            await self._write_now(write)
            if ended:
                await self.core.database.truncate_log()
            return
        uow.cache[(self._cache, keys.draft)] = entry
        self._defer(uow, keys.draft, write)
        if ended:
            # A flow ended (a report stored, a draft discarded, a follow-up left): once
            # this update has written, its draft's earlier versions leave the files.
            uow.forget_history()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        entry = await self._entry(key)
        await self._save(key, entry, _state_name(state), entry.data)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._entry(key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        entry = await self._entry(key)
        await self._save(key, entry, entry.state, copy.deepcopy(dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        # A copy, as a fresh decode would be: a handler may change what it gets.
        return copy.deepcopy((await self._entry(key)).data)


class DatabaseStorage(_UpdateScopedStorage):
    """State in the ``conversation_states`` table (SQLite only: see RedisStorage).

    Inside an update the state is read once without a write lock, and written with the
    update's next commit, in a transaction of its own: never one that stores a case,
    and never one held across a Telegram call. When a flow ends, the update empties the
    database's log afterwards, so the draft's earlier versions leave the files."""

    carries_redelivery_check = True

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
            return _Entry(snapshot.state if live else None, data, snapshot.draft_key)
        data = json.loads(self.core.crypto.decrypt_text(snapshot.data_enc, Context.CONVERSATION))
        return _Entry(snapshot.state, data, snapshot.draft_key)

    async def _load(self, keys: ConversationKeys, yesterday: str, uow: UnitOfWork | None) -> _Entry:
        drafts = (keys.draft, yesterday)
        if uow is not None:
            async with uow.reading() as session:
                return self._interpret(await read_snapshot(session, drafts, keys.language, None))
        return (await self._load_checking(keys, yesterday, None))[0]

    async def _load_checking(
        self, keys: ConversationKeys, yesterday: str, update_tag: int | None
    ) -> tuple[_Entry, bool | None]:
        # One statement, no transaction around it: the state, the language and the
        # redelivery check in one consistent read.
        drafts = (keys.draft, yesterday)
        async with self.core.database.single_statement() as connection:
            snapshot = await read_snapshot(connection, drafts, keys.language, update_tag)
        return self._interpret(snapshot), snapshot.update_seen

    def _writer(
        self, keys: ConversationKeys, yesterday: str, entry: _Entry, replaces: str | None
    ) -> Writer:
        async def write(session: AsyncSession) -> None:
            await ConversationStore(session, self.core).put(
                keys, entry.state, entry.data, replaces=replaces
            )

        return write

    def _defer(self, uow: UnitOfWork, key: str, write: Writer) -> None:
        uow.defer((self._cache, key), write)

    async def _write_now(self, write: Writer) -> None:
        async with self.core.database.transaction() as session:
            await write(session)

    async def close(self) -> None:
        return None


# One write of a conversation in Redis, atomically: its state and data under today's
# keys (or deleted), yesterday's keys deleted (the draft read from them is written under
# today's), and the chosen language written when it is new or changed (never merely
# refreshed, see storage.services.conversation).
_REDIS_WRITE = """
redis.call('DEL', KEYS[3], KEYS[4])
for i = 1, 2 do
  if ARGV[i] == '' then
    redis.call('DEL', KEYS[i])
  else
    redis.call('SET', KEYS[i], ARGV[i], 'EXAT', ARGV[3])
  end
end
if ARGV[4] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[4] then
  redis.call('SET', KEYS[5], ARGV[4], 'EXAT', ARGV[5])
end
return 1
"""


class RedisStorage(_UpdateScopedStorage):
    """State in Redis: for several bot instances sharing one token, and for every
    PostgreSQL deployment (no draft ever enters PostgreSQL, whose dead row versions and
    WAL would keep its every step). Same privacy rules as in the database: per-person
    keys, encrypted values, expiry to the hour (the language's to the day). Within an
    update, read once and written after the database has committed what the update did.
    """

    _cache = "fsm-redis"

    def __init__(self, core: Core, redis: Redis) -> None:
        super().__init__(core)
        self.redis = redis
        self._script: Any = redis.register_script(_REDIS_WRITE)

    def _expire_at(self, ttl: timedelta, unit: timedelta = HOUR) -> int:
        """An absolute expiry rounded up to ``unit``: a key's remaining TTL would
        otherwise tell the second it was last written (issue 10, "no timing trail")."""
        # Redis expires by the wall clock, whatever clock the rules run on.
        return int(ceil_to(datetime.now(UTC) + ttl, unit).timestamp())

    def _names(self, keys: ConversationKeys, yesterday: str) -> list[str]:
        """Today's state and data keys, yesterday's, and the language key."""
        name = self.keys.redis_key
        return [
            name(keys.draft, "state"),
            name(keys.draft, "data"),
            name(yesterday, "state"),
            name(yesterday, "data"),
            f"{self.keys.prefix}:lang:{keys.language}",
        ]

    async def _load(self, keys: ConversationKeys, yesterday: str, uow: UnitOfWork | None) -> _Entry:
        names = self._names(keys, yesterday)
        state, sealed, old_state, old_sealed, language = await self.redis.mget(names)
        found = names[0] if state is not None or sealed is not None else None
        if found is None and (old_state is not None or old_sealed is not None):
            state, sealed, found = old_state, old_sealed, yesterday
        found_under = keys.draft if found == names[0] else found
        state_name = state.decode() if isinstance(state, bytes) else state
        if not sealed:
            if isinstance(language, bytes):
                language = language.decode()
            data = {LANGUAGE_KEY: language} if language in Language._value2member_map_ else {}
            return _Entry(state_name, data, found_under)
        raw = sealed.encode() if isinstance(sealed, str) else sealed
        data = json.loads(self.core.crypto.decrypt_text(raw, Context.CONVERSATION))
        return _Entry(state_name, data, found_under)

    def _writer(
        self, keys: ConversationKeys, yesterday: str, entry: _Entry, replaces: str | None
    ) -> Writer:
        names = self._names(keys, yesterday)
        language = entry.data.get(LANGUAGE_KEY)
        if not (isinstance(language, str) and language in Language._value2member_map_):
            language = ""
        sealed = (
            self.core.crypto.encrypt_text(
                json.dumps(dict(entry.data), ensure_ascii=False), Context.CONVERSATION
            )
            if entry.data
            else b""
        )
        args = [
            entry.state or "",
            sealed,
            self._expire_at(timedelta(hours=self.core.settings.draft_ttl_hours)),
            language,
            self._expire_at(LANGUAGE_TTL, DAY),
        ]

        async def write(_session: AsyncSession | None = None) -> None:
            await self._script(keys=names, args=args)

        return write

    def _defer(self, uow: UnitOfWork, key: str, write: Writer) -> None:
        uow.after_commit((self._cache, key), lambda: write(None))

    async def _write_now(self, write: Writer) -> None:
        await write(None)

    async def close(self) -> None:
        await self.redis.aclose()


class UpdateStateMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware (the chat's lock, then the state, then the handler), with
    the update's first state read made explicit: :meth:`_UpdateScopedStorage.read_first`
    carries the redelivery check (bot.redelivery) and its result goes on in the update's
    data as ``first_read``, for bot.middlewares.UpdateScopeMiddleware. Installed by
    bot.factory.HolosDispatcher in the place of aiogram's own."""

    def __init__(
        self,
        storage: BaseStorage,
        events_isolation: BaseEventIsolation,
        redelivery: Redelivery,
    ) -> None:
        super().__init__(storage=storage, events_isolation=events_isolation)
        self.redelivery = redelivery

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        bot: Bot = data["bot"]
        context = self.resolve_event_context(bot, data)
        data["fsm_storage"] = self.storage
        if context is None:
            return await handler(event, data)
        # The state is read after the lock is taken (aiogram issue 1317), and so is the
        # redelivery check: two deliveries of one update cannot both pass it.
        async with self.events_isolation.lock(key=context.key):
            storage = self.storage
            if isinstance(storage, _UpdateScopedStorage):
                check = storage.carries_redelivery_check
                tag = self.redelivery.tag_to_check(event) if check else None
                first = await storage.read_first(context.key, tag)
                data["first_read"] = first
                raw_state = first.entry.state
            else:
                raw_state = await context.get_state()
            data.update({"state": context, "raw_state": raw_state})
            return await handler(event, data)
