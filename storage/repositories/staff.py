from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, or_, select, update

from storage.models import ApiToken, RecoveryCode, StaffUser
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

    async def claim_totp_step(self, user_id: int, step: int) -> bool:
        """Record ``step`` as the last accepted one, only if it is later than the last:
        one conditional UPDATE, so two requests with the same code cannot both win."""
        result = await self.session.execute(
            update(StaffUser)
            .where(
                StaffUser.id == user_id,
                or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def claim_enrolment(
        self, user_id: int, secret_enc: bytes, step: int, at: datetime
    ) -> bool:
        """Store a confirmed secret, only if the account has none enrolled yet."""
        result = await self.session.execute(
            update(StaffUser)
            .where(StaffUser.id == user_id, StaffUser.totp_enrolled_at.is_(None))
            .values(totp_secret_enc=secret_enc, totp_last_step=step, totp_enrolled_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


class RecoveryCodeRepository(Repository):
    def add_all(self, codes: list[RecoveryCode]) -> None:
        self.session.add_all(codes)

    async def unused_count(self, user_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(RecoveryCode)
                .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
            )
            or 0
        )

    async def spend(self, user_id: int, code_hash: str, at: datetime) -> bool:
        """Mark an unused code spent; False when there is none (wrong, or used before)."""
        result = await self.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def delete_for(self, user_id: int) -> None:
        await self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


# Built once: a statement built per call also costs the walk that makes its cache key,
# about as much CPU as running it; a built one keeps its key.
_TOKEN_WITH_USER = (
    select(ApiToken, StaffUser)
    .join(StaffUser, StaffUser.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


class TokenRepository(Repository):
    async def get_with_user(self, token_hash: str) -> tuple[ApiToken, StaffUser] | None:
        """The token and its account in one statement: every API request asks this."""
        row = (await self.session.execute(_TOKEN_WITH_USER, {"token_hash": token_hash})).first()
        return None if row is None else (row[0], row[1])

    def add(self, token: ApiToken) -> None:
        self.session.add(token)

    async def touch(self, token_id: int, at: datetime) -> None:
        """Record a use; never moves ``last_used_at`` backwards (two requests racing)."""
        await self.session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < at),
            )
            .values(last_used_at=at)
        )

    async def revoke_all_for(self, user_id: int, at: datetime) -> None:
        await self.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def delete_expired(self, before: datetime) -> int:
        return await self.execute_counted(
            delete(ApiToken).where(or_(ApiToken.expires_at < before, ApiToken.revoked_at < before))
        )
