"""Retention's queries (docs/privacy-rules.md, "Retention"): which closed cases have outlived their reporter link or
their content, and the purges that delete it. Statistics are kept: a purged case keeps
its category, dates and outcome, and loses what anyone wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update

from storage.enums import Status
from storage.models import (
    Attachment,
    Case,
    CaseAddition,
    CaseSearchToken,
    ContactDetail,
    Note,
    Reply,
    ReporterLink,
)
from storage.repositories.base import Repository


class RetentionRepository(Repository):
    async def closed_before_with_link(self, cutoff: datetime) -> list[int]:
        stmt = (
            select(ReporterLink.case_id)
            .join(Case, Case.id == ReporterLink.case_id)
            .where(Case.status == Status.CLOSED, Case.closed_at < cutoff)
        )
        return list((await self.session.scalars(stmt)).all())

    async def delete_reporter_links(self, case_ids: Sequence[int]) -> int:
        if not case_ids:
            return 0
        return await self.execute_counted(
            delete(ReporterLink).where(ReporterLink.case_id.in_(list(case_ids)))
        )

    async def closed_before_with_content(self, cutoff: datetime) -> list[Case]:
        stmt = select(Case).where(
            Case.status == Status.CLOSED,
            Case.closed_at < cutoff,
            Case.content_purged_at.is_(None),
        )
        return list((await self.session.scalars(stmt)).all())

    async def purge_content(self, case_ids: Sequence[int]) -> dict[str, int]:
        """Delete what reporters and staff wrote about these cases; keep the statistics."""
        ids = list(case_ids)
        counts: dict[str, int] = {}
        for name, model in (
            ("search_tokens", CaseSearchToken),
            ("additions", CaseAddition),
            ("attachments", Attachment),
            ("notes", Note),
            ("replies", Reply),
            ("contact_details", ContactDetail),
            ("reporter_links", ReporterLink),
        ):
            counts[name] = await self.execute_counted(delete(model).where(model.case_id.in_(ids)))
        return counts

    async def attachment_keys(self, case_ids: Sequence[int]) -> list[str]:
        stmt = select(Attachment.blob_key).where(Attachment.case_id.in_(list(case_ids)))
        return list((await self.session.scalars(stmt)).all())

    async def all_blob_keys(self) -> set[str]:
        return set((await self.session.scalars(select(Attachment.blob_key))).all())

    async def clear_narratives(self, case_ids: Sequence[int], at: datetime) -> None:
        # A bulk UPDATE bypasses the ORM version counter on purpose: retention is not a
        # staff edit and must not make a staff member's open form stale for nothing.
        await self.session.execute(
            update(Case)
            .where(Case.id.in_(list(case_ids)))
            .values(narrative=None, narrative_enc=None, lemmas=None, content_purged_at=at)
            .execution_options(synchronize_session=False)
        )
