"""The unit of work of one Telegram update (SPEC §8: "the update scope commits").

A session is opened lazily on first use and committed when the update has been
handled, or rolled back when handling raised. A handler that must be sure data is
durable before it tells the user (a receipt code) calls :meth:`commit` first.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database

_current: ContextVar[UnitOfWork | None] = ContextVar("holos_uow", default=None)


class UnitOfWork:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._database.sessionmaker()
        return self._session

    async def commit(self) -> None:
        if self._session is not None:
            await self._session.commit()

    async def finish(self, *, ok: bool) -> None:
        if self._session is None:
            return
        try:
            if ok:
                await self._session.commit()
            else:
                await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None

    def activate(self) -> object:
        return _current.set(self)

    @staticmethod
    def deactivate(token: object) -> None:
        _current.reset(token)  # type: ignore[arg-type]

    @staticmethod
    def current() -> UnitOfWork | None:
        return _current.get()
