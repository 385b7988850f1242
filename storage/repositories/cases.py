"""One case and its parts: found by reference or receipt, added, and what it holds
(additions, files, notes, replies, the reporter's link and contact).

Lists of cases are elsewhere: the worklist's pages (:mod:`storage.repositories.worklist`),
counts and the blind index (:mod:`storage.repositories.search`), the figures
(:mod:`storage.repositories.aggregates`), the exports (:mod:`storage.repositories.exports`)
and retention's purges (:mod:`storage.repositories.retention`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from storage.enums import AttachmentKind
from storage.models import (
    Attachment,
    Case,
    CaseAddition,
    ContactDetail,
    Note,
    Reply,
    ReporterLink,
)
from storage.refs import canonical_public_id, canonical_ref
from storage.repositories.base import Repository
from storage.repositories.filters import visible


def _visible_statement(*, may_see_sensitive: bool) -> Select[Case]:
    # The tags in the same statement (a PATCH answers with them): one round trip
    # instead of the relationship's own second SELECT.
    return (
        select(Case)
        .options(joinedload(Case.tags))
        .where(Case.ref == bindparam("ref"), *visible(may_see_sensitive=may_see_sensitive))
    )


# Built once, like the case page's head (storage.repositories.case_page).
_VISIBLE = {sees: _visible_statement(may_see_sensitive=sees) for sees in (False, True)}


class CaseRepository(Repository):
    async def get(self, case_id: int) -> Case | None:
        return await self.session.get(Case, case_id)

    async def get_by_ref(self, ref: str) -> Case | None:
        """The case a reference names, read leniently (storage.refs); a reference that
        cannot exist (wrong shape, wrong check character) is not looked up."""
        canonical = canonical_ref(ref)
        if canonical is None:
            return None
        return await self.session.scalar(select(Case).where(Case.ref == canonical))

    async def ref_exists(self, ref: str) -> bool:
        return (await self.session.scalar(select(Case.id).where(Case.ref == ref))) is not None

    async def get_visible(self, ref: str, *, may_see_sensitive: bool) -> Case | None:
        """The case, if this reader may see it: the visibility rule is in the query, so a
        case hidden from the reader and a case that does not exist take the same path.
        A reference that cannot exist (storage.refs) is not looked up."""
        canonical = canonical_ref(ref)
        if canonical is None:
            return None
        result = await self.session.execute(_VISIBLE[may_see_sensitive], {"ref": canonical})
        return result.unique().scalar_one_or_none()

    async def get_by_receipt_hashes(self, hashes: Sequence[str]) -> Case | None:
        return await self.session.scalar(select(Case).where(Case.receipt_hash.in_(hashes)))

    async def get_by_code_hashes(self, hashes: Sequence[str]) -> Case | None:
        """The case whose receipt code, or one-time claim code, hashes to one of these."""
        stmt = select(Case).where(or_(Case.receipt_hash.in_(hashes), Case.claim_hash.in_(hashes)))
        return await self.session.scalar(stmt)

    async def receipt_hash_exists(self, receipt_hash: str) -> bool:
        """Whether a receipt or claim code already hashes so: the two share one space."""
        found = await self.session.scalar(
            select(Case.id).where(
                or_(Case.receipt_hash == receipt_hash, Case.claim_hash == receipt_hash)
            )
        )
        return found is not None

    async def add_unless_taken(self, case: Case) -> bool:
        """Add ``case`` in a savepoint; False when a unique value of it is taken (by a
        transaction that committed meanwhile), and the case is not added."""
        try:
            # Added inside the savepoint: beginning one flushes what is pending first.
            async with self.session.begin_nested():
                self.session.add(case)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def get_by_intake_key(self, key_hash: str) -> Case | None:
        return await self.session.scalar(select(Case).where(Case.intake_key == key_hash))

    def add(self, obj: object) -> None:
        self.session.add(obj)

    async def flush(self) -> None:
        await self.session.flush()

    # Parts of a case ----------------------------------------------------------------

    async def additions(self, case_id: int) -> list[CaseAddition]:
        stmt = (
            select(CaseAddition)
            .where(CaseAddition.case_id == case_id)
            .order_by(CaseAddition.created_at, CaseAddition.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def additions_for(self, case_ids: Sequence[int]) -> list[CaseAddition]:
        """The additions of a batch of cases (callers keep batches to a few hundred)."""
        stmt = select(CaseAddition).where(CaseAddition.case_id.in_(list(case_ids)))
        return list((await self.session.scalars(stmt)).all())

    async def attachments(self, case_id: int) -> list[Attachment]:
        stmt = (
            select(Attachment)
            .where(Attachment.case_id == case_id)
            .order_by(Attachment.created_at, Attachment.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def attachment_texts_for(
        self, case_ids: Sequence[int]
    ) -> list[tuple[int, str | None, bytes | None]]:
        """``(case id, text, sealed text)`` of these cases' files that have words."""
        stmt = select(Attachment.case_id, Attachment.text, Attachment.text_enc).where(
            Attachment.case_id.in_(list(case_ids)),
            or_(Attachment.text.is_not(None), Attachment.text_enc.is_not(None)),
        )
        return [(row[0], row[1], row[2]) for row in (await self.session.execute(stmt)).all()]

    async def documents_not_rebuilt(
        self, *, after_id: int, limit: int
    ) -> list[tuple[int, str, str, bool]]:
        """``(id, blob key, type, case is sensitive)`` of documents stored before issue 18
        (cleaned, not rebuilt), in id order after ``after_id``."""
        stmt = (
            select(Attachment.id, Attachment.blob_key, Attachment.mime_type, Case.sensitive)
            .join(Case, Case.id == Attachment.case_id)
            .where(
                Attachment.kind == AttachmentKind.DOCUMENT,
                Attachment.rebuilt.is_(False),
                Attachment.id > after_id,
            )
            .order_by(Attachment.id)
            .limit(limit)
        )
        return [(r[0], r[1], r[2], bool(r[3])) for r in (await self.session.execute(stmt)).all()]

    async def attachment_by_id(self, attachment_id: int) -> Attachment | None:
        return await self.session.get(Attachment, attachment_id)

    async def attachment_position(self, attachment: Attachment) -> int:
        """Its place among the case's files, from 1, in the order :meth:`attachments` lists."""
        earlier = await self.session.scalar(
            select(func.count())
            .select_from(Attachment)
            .where(
                Attachment.case_id == attachment.case_id,
                or_(
                    Attachment.created_at < attachment.created_at,
                    and_(
                        Attachment.created_at == attachment.created_at,
                        Attachment.id < attachment.id,
                    ),
                ),
            )
        )
        return int(earlier or 0) + 1

    async def attachment(self, case_id: int, public_id: str) -> Attachment | None:
        return await self.session.scalar(
            select(Attachment).where(
                Attachment.case_id == case_id,
                Attachment.public_id == canonical_public_id(public_id),
            )
        )

    async def notes(self, case_id: int) -> list[Note]:
        stmt = select(Note).where(Note.case_id == case_id).order_by(Note.created_at, Note.id)
        return list((await self.session.scalars(stmt)).all())

    async def replies(self, case_id: int) -> list[Reply]:
        stmt = select(Reply).where(Reply.case_id == case_id).order_by(Reply.created_at, Reply.id)
        return list((await self.session.scalars(stmt)).all())

    async def reply(self, reply_id: int) -> Reply | None:
        return await self.session.get(Reply, reply_id)

    async def reporter_link(self, case_id: int) -> ReporterLink | None:
        return await self.session.get(ReporterLink, case_id)

    async def contact_detail(self, case_id: int) -> ContactDetail | None:
        return await self.session.get(ContactDetail, case_id)
