from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from storage.models import ApiToken, StaffUser
from storage.repositories.base import Repository


class StaffRepository(Repository):
    async def get(self, user_id: int) -> StaffUser | None:
        return await self.session.get(StaffUser, user_id)

    async def get_by_username(self, username: str) -> StaffUser | None:
        return await self.session.scalar(
            select(StaffUser).where(func.lower(StaffUser.username) == username.lower())
        )

    async def list(self) -> list[StaffUser]:
        return list((await self.session.scalars(select(StaffUser).order_by(StaffUser.id))).all())

    def add(self, user: StaffUser) -> None:
        self.session.add(user)


class TokenRepository(Repository):
    async def get_by_hash(self, token_hash: str) -> ApiToken | None:
        return await self.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))

    def add(self, token: ApiToken) -> None:
        self.session.add(token)

    async def revoke_all_for(self, user_id: int, at: datetime) -> None:
        await self.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def delete_expired(self, before: datetime) -> int:
        from sqlalchemy import delete, or_

        return await self.execute_counted(
            delete(ApiToken).where(or_(ApiToken.expires_at < before, ApiToken.revoked_at < before))
        )
