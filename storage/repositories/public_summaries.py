"""The public "you said, we did" list: a closed case's summary, written, approved and
withdrawn by staff (:mod:`storage.services.transparency`)."""

from __future__ import annotations

from sqlalchemy import select

from storage.enums import Status
from storage.models import Case, PublicSummary
from storage.repositories.base import Repository


class PublicSummaryRepository(Repository):
    async def get(self, case_id: int) -> PublicSummary | None:
        return await self.session.get(PublicSummary, case_id)

    def add(self, summary: PublicSummary) -> None:
        self.session.add(summary)

    async def delete(self, summary: PublicSummary) -> None:
        await self.session.delete(summary)

    async def published(self, *, limit: int) -> list[PublicSummary]:
        """The latest approved summaries of cases still closed (a reopened case drops out)."""
        stmt = (
            select(PublicSummary)
            .join(Case, Case.id == PublicSummary.case_id)
            .where(
                PublicSummary.approved_at.is_not(None),
                Case.status == Status.CLOSED,
                Case.sensitive.is_(False),
            )
            .order_by(PublicSummary.approved_at.desc(), PublicSummary.case_id.desc())
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())
