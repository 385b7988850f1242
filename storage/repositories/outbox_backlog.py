"""How far behind the delivery worker is: for the outbox gauges in /metrics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import OutboxState
from storage.models import OutboxMessage

UNSENT = (OutboxState.PENDING.value, OutboxState.SENDING.value)


async def outbox_backlog(session: AsyncSession, now: datetime) -> tuple[int, float]:
    """(messages not yet delivered, age in seconds of the oldest of them; 0 when none)."""
    stmt = select(func.count(), func.min(OutboxMessage.created_at)).where(
        OutboxMessage.state.in_(UNSENT)
    )
    count, oldest = (await session.execute(stmt)).one()
    if not count or oldest is None:
        return 0, 0.0
    return int(count), max(0.0, (now - oldest).total_seconds())
