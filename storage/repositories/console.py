"""Queries of the staff console: its sessions and the staff members' preferences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import ConsoleSession, SavedFilter, StaffPreference, StaffUser
from storage.repositories.base import Repository


class ConsoleSessionRepository(Repository):
    async def get_by_hash(self, token_hash: str) -> ConsoleSession | None:
        return await self.session.scalar(
            select(ConsoleSession).where(ConsoleSession.token_hash == token_hash)
        )

    def add(self, row: ConsoleSession) -> None:
        self.session.add(row)

    async def change(self, session_id: int, **values: object) -> None:
        """Set columns of one session by its id: a write that needs no loaded row, so a
        read scope can leave it for after its reads (storage.db.write_later). A row
        loaded in this session learns the new values too."""
        await self.session.execute(
            update(ConsoleSession).where(ConsoleSession.id == session_id).values(**values)
        )

    async def revoke_all_for(self, user_id: int, at: datetime, *, keep: int | None = None) -> None:
        """End every session of the account (but ``keep``, the one asking)."""
        stmt = update(ConsoleSession).where(
            ConsoleSession.user_id == user_id, ConsoleSession.revoked_at.is_(None)
        )
        if keep is not None:
            stmt = stmt.where(ConsoleSession.id != keep)
        await self.session.execute(stmt.values(revoked_at=at))

    async def count_code(self, row: ConsoleSession) -> int:
        """Count one more code tried in a sign-in step, atomically; the new count. The
        row learns it as its stored value, so a later reset to 0 is written."""
        result = await self.session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.id == row.id)
            .values(codes_tried=ConsoleSession.codes_tried + 1)
            .returning(ConsoleSession.codes_tried)
            .execution_options(synchronize_session=False)
        )
        tried = int(result.scalar_one())
        set_committed_value(row, "codes_tried", tried)
        return tried

    async def delete_finished(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(ConsoleSession).where(
                or_(ConsoleSession.expires_at < before, ConsoleSession.revoked_at < before)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


class PreferenceRepository(Repository):
    async def get(self, user_id: int) -> StaffPreference | None:
        return await self.session.get(StaffPreference, user_id)

    def add(self, row: StaffPreference) -> None:
        self.session.add(row)


class SavedFilterRepository(Repository):
    async def of_user(self, user_id: int) -> list[SavedFilter]:
        stmt = select(SavedFilter).where(SavedFilter.user_id == user_id).order_by(SavedFilter.name)
        return list((await self.session.scalars(stmt)).all())

    async def get(self, user_id: int, filter_id: int) -> SavedFilter | None:
        stmt = select(SavedFilter).where(
            SavedFilter.user_id == user_id, SavedFilter.id == filter_id
        )
        return (await self.session.scalars(stmt)).one_or_none()

    def add(self, row: SavedFilter) -> None:
        self.session.add(row)

    async def delete(self, row: SavedFilter) -> None:
        await self.session.delete(row)


class StaffDirectoryRepository(Repository):
    async def by_ids(self, ids: Sequence[int]) -> list[StaffUser]:
        if not ids:
            return []
        return list(
            (await self.session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))).all()
        )

    async def active_with_roles(self, roles: Sequence[str]) -> list[StaffUser]:
        return list(
            (
                await self.session.scalars(
                    select(StaffUser)
                    .where(StaffUser.is_active.is_(True), StaffUser.role.in_(roles))
                    .order_by(StaffUser.username)
                )
            ).all()
        )
