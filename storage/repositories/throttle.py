from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, case, delete, literal, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import ThrottleCounter, UTCDateTime
from storage.repositories.base import Repository


class ThrottleRepository(Repository):
    async def count(self, key: str, window_start: datetime) -> int:
        """The count of the window that starts at ``window_start`` (0 for an older one)."""
        row = await self.session.get(ThrottleCounter, key)
        if row is None or row.window_start < window_start:
            return 0
        return row.count

    async def hit(
        self, key: str, *, window_start: datetime, expires_at: datetime, amount: int = 1
    ) -> int:
        """Add ``amount`` to the window starting at ``window_start``, atomically; a row of an
        older window starts over. Return the new count."""
        table = cast(Table, ThrottleCounter.__table__)
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        stale = table.c.window_start < window_start
        stmt = (
            insert(table)
            .values(key=key, window_start=window_start, count=amount, expires_at=expires_at)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "count": case((stale, amount), else_=table.c.count + amount),
                    "window_start": literal(window_start, type_=UTCDateTime()),
                    "expires_at": expires_at,
                },
            )
            .returning(table.c.count)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def give_back(self, key: str, window_start: datetime) -> None:
        """Take one off the window starting at ``window_start``, if it is still the
        key's window (a window that has moved on counts from zero already)."""
        await self.session.execute(
            update(ThrottleCounter)
            .where(
                ThrottleCounter.key == key,
                ThrottleCounter.window_start == window_start,
                ThrottleCounter.count > 0,
            )
            .values(count=ThrottleCounter.count - 1)
        )

    async def forget(self, key: str) -> None:
        await self.session.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))

    async def delete_expired(self, now: datetime) -> int:
        return await self.execute_counted(
            delete(ThrottleCounter).where(ThrottleCounter.expires_at < now)
        )
