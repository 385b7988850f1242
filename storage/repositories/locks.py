"""A lock across instances, for jobs that must not run twice at once (the daily purge)."""

from __future__ import annotations

import zlib

from sqlalchemy import func, select

from storage.repositories.base import Repository


def lock_key(name: str) -> int:
    """A stable 32-bit key for ``name`` (PostgreSQL advisory locks take integers)."""
    return zlib.crc32(name.encode())


class Locks(Repository):
    async def try_transaction_lock(self, name: str) -> bool:
        """Take the lock ``name`` until this transaction ends; False when another
        transaction holds it (it is not waited for).

        PostgreSQL: an advisory transaction lock, shared by every instance on the
        database. SQLite: the transaction already holds the database's only write lock
        (BEGIN IMMEDIATE), which excludes every other writer, so there is nothing to take.
        """
        if self.dialect != "postgresql":
            return True
        taken = await self.session.scalar(select(func.pg_try_advisory_xact_lock(lock_key(name))))
        return bool(taken)
