"""What moving a case between channels reads and rewrites: every written part of the case
(additions, notes, replies, the words of its files) and its blind index
(:mod:`storage.services.reclassify`)."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import undefer

from storage.models import Attachment, CaseAddition, CaseSearchToken, Note, Reply
from storage.repositories.base import Repository


class SealingRepository(Repository):
    async def additions(self, case_id: int) -> list[CaseAddition]:
        stmt = select(CaseAddition).where(CaseAddition.case_id == case_id)
        return list((await self.session.scalars(stmt)).all())

    async def notes(self, case_id: int) -> list[Note]:
        return list((await self.session.scalars(select(Note).where(Note.case_id == case_id))).all())

    async def replies(self, case_id: int) -> list[Reply]:
        stmt = select(Reply).where(Reply.case_id == case_id)
        return list((await self.session.scalars(stmt)).all())

    async def files_with_text(self, case_id: int) -> list[Attachment]:
        """The case's files that hold words, with those words loaded (they are deferred)."""
        stmt = (
            select(Attachment)
            .options(undefer(Attachment.text), undefer(Attachment.text_enc))
            .where(
                Attachment.case_id == case_id,
                or_(Attachment.text.is_not(None), Attachment.text_enc.is_not(None)),
            )
        )
        return list((await self.session.scalars(stmt)).all())

    async def drop_search_tokens(self, case_id: int) -> None:
        await self.session.execute(
            delete(CaseSearchToken).where(CaseSearchToken.case_id == case_id)
        )
