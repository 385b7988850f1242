"""What changed since I last looked (issue 21 §3): each staff member's worklist marks a
case that has new activity for them since they last opened it, and its tabs count them.

Activity is recorded where it happens: the reporter added information or answered a
reply (:mod:`storage.services.intake`), a reply could not be delivered
(:mod:`storage.services.outbox`), the case was assigned to someone by someone else
(:mod:`storage.services.triage`). Opening a case (the console's page, the API's detail)
records the newest activity the reader was shown; anything newer is new to them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.db import write_later
from storage.enums import ActivityKind
from storage.models import Case, CaseActivity
from storage.repositories.activity import ActivityRepository

# Activity older than this is no longer "new", opened or not: the marks stay about what
# a team is working on now, and reading them costs the recent activity only (its index),
# not the whole history.
NEWS_WINDOW = timedelta(days=30)


def record_activity(
    session: AsyncSession,
    case: Case,
    kind: ActivityKind,
    at: datetime,
    *,
    for_user: int | None = None,
) -> None:
    """Note that something happened to ``case`` (``for_user``: new only to them)."""
    ActivityRepository(session).add(
        CaseActivity(case_id=case.id, at=at, kind=kind.value, user_id=for_user)
    )


async def mark_seen(
    session: AsyncSession, actor: Actor, case_id: int, activity_id: int, at: datetime
) -> None:
    """The reader opened the case and was shown activity up to ``activity_id``. In a read
    scope this is written after the reads (:func:`storage.db.write_later`)."""
    if actor.user_id is None:
        return
    user_id = actor.user_id

    async def write(writer: AsyncSession) -> None:
        await ActivityRepository(writer).mark_seen(user_id, case_id, at, activity_id)

    await write_later(session, write)
