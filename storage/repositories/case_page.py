"""One case's page (the API's and the console's case detail) in few statements.

Every read of a case page used to cost nine statements: the case, its tags, the contact,
the chat link, then the attachments, additions, notes and replies, most of them empty.
Here the case comes with its contact and chat link (outer joins) and with whether each
of the four lists has anything (``EXISTS``, each served by its ``case_id`` index), so
only lists that hold something are read (:mod:`storage.services.triage`). The console's
page also wants the case's public summary: one more outer join, on its primary key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.expression import Exists

from storage.models import (
    Attachment,
    Case,
    CaseActivity,
    CaseAddition,
    CaseSeen,
    ContactDetail,
    Note,
    PublicSummary,
    Reply,
    ReporterLink,
)
from storage.refs import canonical_ref
from storage.repositories.base import Repository
from storage.repositories.filters import visible


@dataclass(frozen=True)
class CaseHead:
    """The case, its contact and chat link, and which of its lists hold anything."""

    case: Case
    contact: ContactDetail | None
    reply_in_chat: bool
    has_attachments: bool
    has_additions: bool
    has_notes: bool
    has_replies: bool
    has_duplicates: bool = False  # cases closed as duplicates of this one
    # The newest activity on the case (storage.services.activity), 0 for none: what an
    # opening of the page has shown its reader.
    latest_activity: int = 0
    # The newest activity the reader had been shown before (0: none): an opening that
    # shows nothing newer records nothing.
    seen_activity: int = 0
    # Read only when asked for (the console's page): None otherwise, or when none is written.
    public_summary: PublicSummary | None = None


def _any(model: type[Attachment] | type[CaseAddition] | type[Note] | type[Reply]) -> Exists:
    return exists().where(model.case_id == Case.id)


_DUPLICATE = aliased(Case)


def _head_statement(*, may_see_sensitive: bool, public_summary: bool) -> Select[*tuple[Any, ...]]:
    stmt: Select[*tuple[Any, ...]] = (
        select(
            Case,
            ContactDetail,
            ReporterLink.case_id.is_not(None),
            _any(Attachment),
            _any(CaseAddition),
            _any(Note),
            _any(Reply),
            exists().where(_DUPLICATE.duplicate_of_id == Case.id),
            select(func.coalesce(func.max(CaseActivity.id), 0))
            .where(CaseActivity.case_id == Case.id)
            .scalar_subquery(),
            select(CaseSeen.activity_id)
            .where(CaseSeen.case_id == Case.id, CaseSeen.user_id == bindparam("reader"))
            .scalar_subquery(),
        )
        # The tags too (the page shows them): one statement instead of the
        # relationship's own second SELECT.
        .options(joinedload(Case.tags))
        .outerjoin(ContactDetail, ContactDetail.case_id == Case.id)
        .outerjoin(ReporterLink, ReporterLink.case_id == Case.id)
        .where(
            Case.ref == bindparam("ref"),
            *visible(may_see_sensitive=may_see_sensitive, viewer=bindparam("viewer")),
        )
    )
    if public_summary:
        stmt = stmt.add_columns(PublicSummary).outerjoin(
            PublicSummary, PublicSummary.case_id == Case.id
        )
    return stmt


# Built once: a statement built per call costs its construction and the walk that makes
# its cache key (about half the CPU of this query); a built one keeps its key.
_HEAD = {
    (sees, summary): _head_statement(may_see_sensitive=sees, public_summary=summary)
    for sees in (False, True)
    for summary in (False, True)
}


class CasePageRepository(Repository):
    async def head(
        self,
        ref: str,
        *,
        may_see_sensitive: bool,
        public_summary: bool = False,
        viewer_id: int | None = None,
    ) -> CaseHead | None:
        """The case if this reader may see it (the same rule, in the query, as
        :meth:`storage.repositories.cases.CaseRepository.get_visible`: hidden and
        missing take the same path), and with ``public_summary`` its public summary."""
        canonical = canonical_ref(ref)
        if canonical is None:
            return None
        stmt = _HEAD[(may_see_sensitive, public_summary)]
        # One row per tag: ``unique`` folds them into the case's row.
        params: dict[str, object] = {"ref": canonical, "reader": viewer_id or 0}
        if may_see_sensitive:
            params["viewer"] = viewer_id or 0
        row = (await self.session.execute(stmt, params)).unique().first()
        if row is None:
            return None
        (
            case,
            contact,
            linked,
            attachments,
            additions,
            notes,
            replies,
            duplicates,
            latest,
            seen,
            *summary,
        ) = row
        return CaseHead(
            case=case,
            contact=contact,
            reply_in_chat=bool(linked),
            has_attachments=bool(attachments),
            has_additions=bool(additions),
            has_notes=bool(notes),
            has_replies=bool(replies),
            has_duplicates=bool(duplicates),
            latest_activity=int(latest or 0),
            seen_activity=int(seen or 0),
            public_summary=summary[0] if summary else None,
        )
