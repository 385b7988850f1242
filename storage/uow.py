"""The unit of work of one Telegram update (services never commit; the update's scope does), kept short.

No transaction stays open while the bot waits on Telegram: on SQLite that would hold
the only write lock across a network round trip and serialise every chat. So:

- reads that need no transaction of their own go through :meth:`reading`: a short
  read-only scope (no write lock), or the open transaction when there is one;
- services write through :attr:`session`, whose transaction begins on first use;
- deferred writes (the conversation state, see ``bot.fsm``) wait in memory and go in
  with the next commit, in a transaction of their own: what the services wrote (a case,
  an addition, a rating) commits first, then the draft, so no per-person row shares a
  transaction with a case (issue 18: the commit that deleted a draft and inserted a case
  linked the two in the log);
- :meth:`release` commits whatever transaction is open. The Bot API request middleware
  calls it before every call to Telegram, so nothing is held across one; a handler that
  must be sure data is durable before it tells the person (a receipt code) commits
  explicitly, as before;
- :meth:`finish` writes what is left in one short transaction, or drops it when the
  handling failed.

The first commit also runs ``on_first_commit`` (the runtime records the update's id
there), so an update whose effects are stored is never handled a second time. A crash
between a case's commit and its draft's leaves the draft at its last step, so the person
could send it a second time; the two commits follow each other at once, before any
reply.

When a flow ended in this update (:meth:`forget_history`), :meth:`finish` empties the
database's log once everything is written, so the draft's earlier versions leave the
files (storage.db.Database.truncate_log).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from contextvars import ContextVar, Token
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database

Writer = Callable[[AsyncSession], Awaitable[None]]

_current: ContextVar[UnitOfWork | None] = ContextVar("holos_uow", default=None)


class UnitOfWork:
    def __init__(self, database: Database, *, on_first_commit: Writer | None = None) -> None:
        self._database = database
        self._session: AsyncSession | None = None
        self._deferred: dict[Hashable, Writer] = {}
        self._after: dict[Hashable, Callable[[], Awaitable[None]]] = {}
        self._on_first_commit = on_first_commit
        self._forget = False
        self.commits = 0
        # What this update has read or means to write, by key (the conversation state).
        self.cache: dict[Hashable, Any] = {}

    @property
    def session(self) -> AsyncSession:
        """The write session; its transaction begins on first use (BEGIN IMMEDIATE on SQLite)."""
        if self._session is None:
            self._session = self._database.sessionmaker()
        return self._session

    @property
    def in_transaction(self) -> bool:
        return self._session is not None and self._session.in_transaction()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session to read with: the open transaction's (it may hold this update's own
        uncommitted writes), else a short read-only scope that takes no write lock."""
        if self.in_transaction:
            assert self._session is not None
            yield self._session
            return
        async with self._database.read_only() as session:
            yield session

    def defer(self, key: Hashable, writer: Writer) -> None:
        """Write with the next commit; a later writer for the same key replaces this one."""
        self._deferred[key] = writer

    def after_commit(self, key: Hashable, action: Callable[[], Awaitable[None]]) -> None:
        """Run ``action`` once the next commit is done (a write outside the database, as
        the conversation state in Redis): never before the database has what the update
        did. A later action for the same key replaces this one."""
        self._after[key] = action

    async def commit(self) -> None:
        """Write everything pending: the open transaction (with the update's id, on the
        first commit), then the deferred writes in a transaction of their own, then
        what waits for the commit outside the database."""
        first = self.commits == 0 and self._on_first_commit is not None
        if self.in_transaction:
            if first:
                assert self._on_first_commit is not None
                await self._on_first_commit(self.session)
                first = False
            await self.session.commit()
            self.commits += 1
        if self._deferred or first:
            session = self.session
            deferred, self._deferred = self._deferred, {}
            for writer in deferred.values():
                await writer(session)
            if first:
                assert self._on_first_commit is not None
                await self._on_first_commit(session)
            await session.commit()
            self.commits += 1
        after, self._after = self._after, {}
        for action in after.values():
            await action()

    def forget_history(self) -> None:
        """Once this update has written: empty the database's log (a flow ended, and its
        draft's earlier versions must leave the files)."""
        self._forget = True

    async def forget_history_now(self) -> None:
        """Commit what is pending and empty the database's log now, not at the end of
        the update: after a report is stored, before its receipt is sent."""
        await self.commit()
        self._forget = False
        await self._database.truncate_log()

    async def release(self) -> None:
        """Before waiting on something slow: commit the open transaction, if any.
        Deferred writes alone wait for the next commit (they hold no lock)."""
        if self.in_transaction:
            await self.commit()

    async def finish(self, *, ok: bool) -> None:
        try:
            if ok:
                await self.commit()
            elif self._session is not None:
                await self._session.rollback()
        finally:
            self._deferred.clear()
            self._after.clear()
            if self._session is not None:
                await self._session.close()
                self._session = None
        if ok and self._forget:
            self._forget = False
            await self._database.truncate_log()

    def activate(self) -> Token[UnitOfWork | None]:
        return _current.set(self)

    @staticmethod
    def deactivate(token: Token[UnitOfWork | None]) -> None:
        _current.reset(token)

    @staticmethod
    def current() -> UnitOfWork | None:
        return _current.get()
