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
- :meth:`commit_before_reply` is the one named step that commits inside an update: the
  handler takes it before every call to Telegram (and before it waits), so what the
  person is about to read is durable and no lock is held across a network round trip
  (storage.transactions, "Telegram updates"). The Bot API request middleware does not
  commit: it checks, and a call with writes still pending is a programming error
  (:class:`CommitStepMissing`);
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


class CommitStepMissing(RuntimeError):
    """Telegram was about to be called with this update's writes uncommitted: the code
    that made the call did not take :meth:`UnitOfWork.commit_before_reply` first."""


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

    @property
    def holds_lock(self) -> bool:
        """A transaction is open (on SQLite: the write lock is held)."""
        return self.in_transaction

    @property
    def pending(self) -> bool:
        """Anything written and not yet committed: the open transaction, a deferred
        write, or a write outside the database waiting for the commit."""
        return self.in_transaction or bool(self._deferred) or bool(self._after)

    async def commit_before_reply(self, *, forget_history: bool = False) -> None:
        """The named step: commit what this update has written before Telegram is called
        (or before the update waits). Two rules meet here. What the person is about to
        read ("Received: 2 messages", a receipt code) must be true even if the process
        dies the next instant (SIGKILL, tests/bot/test_faults_kill.py), so the draft goes
        in too, not only the open transaction. And no transaction is held across a
        network round trip: on SQLite that holds the one write lock and serialises every
        chat (the crowd measurements in docs/performance.md).

        ``forget_history``: a flow ended with a case stored; empty the database's log now,
        before the receipt is shown, not at the end of the update (see
        :meth:`forget_history`)."""
        await self._commit()
        if forget_history:
            self._forget = False
            await self._database.truncate_log()

    def check_before_telegram(self, method: str, *, says_something: bool) -> None:
        """Raise :class:`CommitStepMissing` when a call to Telegram would go out with
        writes pending: any, before a call that shows the person something; an open
        transaction, before any call (it would hold the lock across the round trip)."""
        if self.pending if says_something else self.holds_lock:
            raise CommitStepMissing(
                f"{method} called with this update's writes uncommitted: "
                "take commit_before_reply() before calling Telegram"
            )

    async def _commit(self) -> None:
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

    async def abandon(self) -> None:
        """The handling failed: drop what it wrote now (as :meth:`finish` would), so
        nothing is held while the failure is answered."""
        self._deferred.clear()
        self._after.clear()
        if self._session is not None:
            await self._session.rollback()

    async def finish(self, *, ok: bool) -> None:
        try:
            if ok:
                await self._commit()
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
