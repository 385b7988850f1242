from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update

from storage.enums import OutboxState
from storage.models import OutboxMessage
from storage.repositories.base import Repository


class OutboxRepository(Repository):
    def add(self, message: OutboxMessage) -> None:
        self.session.add(message)

    async def get(self, message_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, message_id)

    async def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Pending messages whose time has come, and claims a crashed worker left behind."""
        stmt = (
            select(OutboxMessage)
            .where(
                or_(
                    and_(
                        OutboxMessage.state == OutboxState.PENDING,
                        OutboxMessage.next_attempt_at <= now,
                    ),
                    and_(
                        OutboxMessage.state == OutboxState.SENDING,
                        OutboxMessage.claimed_until < now,
                    ),
                )
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            # Several bot instances may run workers: each row goes to exactly one of them.
            stmt = stmt.with_for_update(skip_locked=True)
        return list((await self.session.scalars(stmt)).all())

    async def for_case(self, case_id: int) -> list[OutboxMessage]:
        stmt = select(OutboxMessage).where(OutboxMessage.case_id == case_id)
        return list((await self.session.scalars(stmt)).all())

    async def abandon_for_cases(self, case_ids: Sequence[int], reason: str) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.case_id.in_(list(case_ids)),
                OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]),
            )
            .values(state=OutboxState.UNDELIVERABLE, last_error=reason)
        )

    async def delete_finished_before(self, cutoff: datetime) -> int:
        return await self.execute_counted(
            delete(OutboxMessage).where(
                OutboxMessage.state.in_([OutboxState.SENT, OutboxState.UNDELIVERABLE]),
                OutboxMessage.created_at < cutoff,
            )
        )
