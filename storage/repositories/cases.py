from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.orm import joinedload

from storage.enums import OPEN_STATUSES, AttachmentKind, Language, Priority, Sort, Status
from storage.models import (
    Attachment,
    Case,
    CaseAddition,
    CaseSearchToken,
    CaseTag,
    ContactDetail,
    Note,
    Reply,
    ReporterLink,
    UTCDateTime,
)
from storage.refs import canonical_public_id, canonical_ref
from storage.repositories.base import Repository
from storage.search import blind_match, matching_case_ids, plain_match, row_match

PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


@dataclass
class CaseFilter:
    """Worklist filters (SPEC §6). Lists mean "any of"; ``tags`` means "all of"."""

    statuses: Sequence[Status] = ()
    categories: Sequence[str] = ()
    priorities: Sequence[Priority] = ()
    oblasts: Sequence[str] = ()
    programmes: Sequence[str] = ()
    languages: Sequence[Language] = ()
    tags: Sequence[str] = ()
    sensitive: bool | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    search_terms: Sequence[str] = ()
    # The terms' blind-index tokens, set only for a reader who may see sensitive cases.
    blind_tokens: Sequence[str] = ()


def due_expression() -> ColumnElement[datetime]:
    """The next deadline of a case: acknowledgement while new, resolution afterwards."""
    return type_coerce(
        case(
            (Case.status == Status.NEW, Case.acknowledge_due_at),
            else_=Case.resolve_due_at,
        ),
        UTCDateTime(),
    )


def priority_rank() -> ColumnElement[int]:
    return case(*((Case.priority == name, rank) for name, rank in PRIORITY_RANK.items()), else_=9)


# Sort -> (key expressions, descending?). Every key ends with the id so the order
# is total and a cursor never skips or repeats a case.
def sort_keys(sort: Sort) -> tuple[list[ColumnElement[Any]], bool]:
    keys: dict[Sort, tuple[list[Any], bool]] = {
        Sort.CREATED: ([Case.created_at, Case.id], False),
        Sort.CREATED_DESC: ([Case.created_at, Case.id], True),
        Sort.UPDATED: ([Case.updated_at, Case.id], False),
        Sort.UPDATED_DESC: ([Case.updated_at, Case.id], True),
        Sort.DUE: ([due_expression(), Case.id], False),
        Sort.PRIORITY: ([priority_rank(), Case.created_at, Case.id], False),
    }
    return keys[sort]


def _after(keys: list[Any], values: list[Any], descending: bool) -> Any:
    """Keyset predicate "row comes after (values)" as nested OR/AND; portable everywhere."""
    clauses = []
    for i, key in enumerate(keys):
        value = literal(values[i], type_=key.type)
        beyond = key < value if descending else key > value
        equal_prefix = [keys[j] == literal(values[j], type_=keys[j].type) for j in range(i)]
        clauses.append(and_(*equal_prefix, beyond))
    return or_(*clauses)


def visible(*, may_see_sensitive: bool) -> list[ColumnElement[bool]]:
    """The visibility rule as SQL: a role that may not see sensitive cases never gets one
    (the worklist, search, counts and a single case alike)."""
    return [] if may_see_sensitive else [Case.sensitive.is_(False)]


# What a worklist row shows of a case (:meth:`CaseRepository.list_rows`).
ROW_COLUMNS = (
    Case.id,
    Case.ref,
    Case.category,
    Case.sensitive,
    Case.priority,
    Case.status,
    Case.oblast,
    Case.programme,
    Case.language,
    Case.created_at,
    Case.updated_at,
    Case.acknowledge_due_at,
    Case.resolve_due_at,
    Case.assignee_id,
    Case.version,
)

# A page's tags, built once (a statement built per call costs about as much CPU as
# running it); in tag order, as the ORM relationship reads them.
_TAGS_OF = (
    select(CaseTag.case_id, CaseTag.tag)
    .where(CaseTag.case_id.in_(bindparam("ids", expanding=True)))
    .order_by(CaseTag.case_id, CaseTag.tag)
)


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

    async def receipt_hash_exists(self, receipt_hash: str) -> bool:
        found = await self.session.scalar(select(Case.id).where(Case.receipt_hash == receipt_hash))
        return found is not None

    def add(self, obj: object) -> None:
        self.session.add(obj)

    async def flush(self) -> None:
        await self.session.flush()

    # Worklist -----------------------------------------------------------------------

    def _conditions(
        self, flt: CaseFilter, *, may_see_sensitive: bool, now: datetime, many: bool = False
    ) -> list[ColumnElement[bool]]:
        conditions = visible(may_see_sensitive=may_see_sensitive)
        if flt.sensitive is not None:
            conditions.append(Case.sensitive.is_(flt.sensitive))
        for column, values in (
            (Case.status, flt.statuses),
            (Case.category, flt.categories),
            (Case.priority, flt.priorities),
            (Case.oblast, flt.oblasts),
            (Case.programme, flt.programmes),
            (Case.language, flt.languages),
        ):
            if values:
                conditions.append(column.in_(list(values)))
        for tag in flt.tags:
            conditions.append(Case.id.in_(select(CaseTag.case_id).where(CaseTag.tag == tag)))
        if flt.unassigned:
            conditions.append(Case.assignee_id.is_(None))
        elif flt.assignee_id is not None:
            conditions.append(Case.assignee_id == flt.assignee_id)
        if flt.overdue is not None:
            overdue = self.overdue_condition(now)
            conditions.append(overdue if flt.overdue else ~overdue)
        if flt.created_from is not None:
            conditions.append(Case.created_at >= flt.created_from)
        if flt.created_to is not None:
            conditions.append(Case.created_at < flt.created_to)
        if flt.search_terms:
            dialect = self.dialect
            blind = list(flt.blind_tokens) if may_see_sensitive else None
            conditions.append(
                matching_case_ids(dialect, list(flt.search_terms), blind=blind, many=many)
            )
        return conditions

    @staticmethod
    def overdue_condition(now: datetime) -> ColumnElement[bool]:
        return or_(
            and_(Case.status == Status.NEW, Case.acknowledge_due_at < now),
            and_(Case.status.in_(sorted(OPEN_STATUSES)), Case.resolve_due_at < now),
        )

    def _page_ids(
        self,
        flt: CaseFilter,
        *,
        may_see_sensitive: bool,
        now: datetime,
        sort: Sort,
        after: list[Any] | None,
        limit: int,
        many: bool,
    ) -> tuple[Select[Any], list[ColumnElement[Any]], list[Any]]:
        """The page's ids (a subquery), its sort keys and their order."""
        keys, descending = sort_keys(sort)
        order = [k.desc() if descending else k.asc() for k in keys]
        # The page's ids first, then their rows: the ids and sort keys of a filtered
        # worklist are all in one index (storage.models), so the matching cases are
        # sorted there and only the page's rows are read, not every match's.
        ids = select(Case.id).where(
            *self._conditions(flt, may_see_sensitive=may_see_sensitive, now=now, many=many)
        )
        if after is not None:
            ids = ids.where(_after(keys, after, descending))
        return ids.order_by(*order).limit(limit), keys, order

    async def list_page(
        self,
        flt: CaseFilter,
        *,
        may_see_sensitive: bool,
        now: datetime,
        sort: Sort,
        after: list[Any] | None,
        limit: int,
        many: bool = False,
    ) -> tuple[list[Case], list[list[Any]]]:
        """One page of cases and, for each, the values of its sort key (for cursors).
        ``many``: more cases match than the capped count reached (see storage.search)."""
        ids, keys, order = self._page_ids(
            flt,
            may_see_sensitive=may_see_sensitive,
            now=now,
            sort=sort,
            after=after,
            limit=limit,
            many=many,
        )
        stmt = select(Case, *keys).where(Case.id.in_(ids)).order_by(*order)
        rows = (await self.session.execute(stmt)).all()
        return [row[0] for row in rows], [list(row[1:]) for row in rows]

    async def list_rows(
        self,
        flt: CaseFilter,
        *,
        may_see_sensitive: bool,
        now: datetime,
        sort: Sort,
        after: list[Any] | None,
        limit: int,
        many: bool = False,
    ) -> tuple[list[dict[str, Any]], list[list[Any]]]:
        """:meth:`list_page` as plain rows of :data:`ROW_COLUMNS` plus ``overdue`` and
        ``tags`` (sorted): what a worklist row shows, without the narratives and the ORM
        objects that whole cases cost (most of the worklist's CPU)."""
        ids, keys, order = self._page_ids(
            flt,
            may_see_sensitive=may_see_sensitive,
            now=now,
            sort=sort,
            after=after,
            limit=limit,
            many=many,
        )
        # The flag is the filter's own expression, so a row and ``overdue=`` never differ.
        overdue = self.overdue_condition(now).label("overdue")
        stmt = select(*ROW_COLUMNS, overdue, *keys).where(Case.id.in_(ids)).order_by(*order)
        result = (await self.session.execute(stmt)).all()
        width = len(ROW_COLUMNS) + 1
        names = [*(c.key for c in ROW_COLUMNS), "overdue"]
        rows: list[dict[str, Any]] = [dict(zip(names, row[:width], strict=True)) for row in result]
        tags: dict[int, list[str]] = {row["id"]: [] for row in rows}
        if tags:
            for case_id, tag in await self.session.execute(_TAGS_OF, {"ids": list(tags)}):
                tags[case_id].append(tag)
        for row in rows:
            row["overdue"] = bool(row["overdue"])
            row["tags"] = tags[row["id"]]
        return rows, [list(row[width:]) for row in result]

    async def count(
        self, flt: CaseFilter, *, may_see_sensitive: bool, now: datetime, cap: int | None = None
    ) -> int:
        """How many cases match; with ``cap``, counting no further than ``cap + 1``.

        A ``LIMIT`` alone does not bound the work: a full-text or filter index gathers
        every match before the limit applies (330,000 for a common word at a million
        cases). So on PostgreSQL a capped count of a text search first probes the newest cases
        (:meth:`_probe`) and then either scans with the match checked row by row,
        stopping at ``cap + 1`` matches (a common match), or lets the indexes gather (a
        rare one). Both shapes count the same rows; only the work differs."""
        if flt.search_terms and flt.blind_tokens and may_see_sensitive:
            # Standard text and the blind index never hold the same case (sensitive text
            # is only in the blind index): two index-backed counts, added, beat one count
            # of their union, which gathers every match of a common word first.
            unsearched = replace(flt, search_terms=(), blind_tokens=())
            base = self._conditions(unsearched, may_see_sensitive=True, now=now)
            terms_ = list(flt.search_terms)
            # For the same reason a sensitive case has no standard text to match (the
            # audit of a focal point's search counts only sensitive cases): counting it
            # anyway made the indexes gather every match of a common word, 220,000 at a
            # million cases, to find none (250-600 ms).
            plain = (
                0
                if flt.sensitive is True
                else await self._count(
                    [*base, plain_match(self.dialect, terms_)],
                    cap,
                    row_by_row=[*base, row_match(self.dialect, terms_)],
                )
            )
            blind = await self._count([*base, blind_match(list(flt.blind_tokens))], cap)
            return plain + blind if cap is None else min(plain + blind, cap + 1)
        conditions = self._conditions(flt, may_see_sensitive=may_see_sensitive, now=now)
        row_by_row = None
        # Only a text match needs the probe: the planner cannot tell a common word from a
        # rare one. Without one, scanning and gathering are the same statement, which the
        # planner costs from the columns' statistics (a filtered worklist: 2-3 ms saved).
        if self.dialect == "postgresql" and flt.search_terms:
            unsearched = replace(flt, search_terms=(), blind_tokens=())
            row_by_row = self._conditions(unsearched, may_see_sensitive=may_see_sensitive, now=now)
            if flt.search_terms:
                row_by_row.append(row_match(self.dialect, list(flt.search_terms)))
        return await self._count(conditions, cap, row_by_row=row_by_row)

    # The capped count's probe reads this many of the newest cases; a scan stopping at
    # cap + 1 is chosen when it should read fewer rows than the indexes would gather.
    PROBE_ROWS = 2_000

    async def _count(
        self,
        conditions: list[ColumnElement[bool]],
        cap: int | None,
        *,
        row_by_row: list[ColumnElement[bool]] | None = None,
    ) -> int:
        """``row_by_row``: the same conditions with nothing that needs an index to be
        cheap (a per-row text match), checked by a scan that stops early."""
        if cap is not None and row_by_row is not None and self.dialect == "postgresql":
            seen, matched, rows = await self._probe(row_by_row)
            if seen < self.PROBE_ROWS:
                return min(matched, cap + 1)  # the probe read every case: exact
            # Rows read to reach cap + 1 by scanning, against matches the indexes gather
            # (the whole table's share): per row they cost about the same.
            if matched and (cap + 1) * seen * seen <= matched * matched * max(rows, seen):
                # In no particular order: the planner reads the table (or a filter's
                # index) sequentially until cap + 1 match, several times faster than
                # the date index's random reads (18 against 90 ms at a million cases).
                scan = select(literal(1)).select_from(Case).where(*row_by_row).limit(cap + 1)
                stmt = select(func.count()).select_from(scan.subquery())
                return int(await self.session.scalar(stmt) or 0)
        matching = select(Case.id).where(*conditions)
        if cap is not None:
            matching = matching.limit(cap + 1)
        stmt = select(func.count()).select_from(matching.subquery())
        return int(await self.session.scalar(stmt) or 0)

    async def _probe(self, conditions: list[ColumnElement[bool]]) -> tuple[int, int, int]:
        """(cases read, of them matching, the planner's row count of the table) over the
        :attr:`PROBE_ROWS` newest cases: a few milliseconds, read in date order."""
        matches = and_(*conditions) if conditions else literal(True)
        newest = (
            select(matches.label("m"))
            .select_from(Case)
            .order_by(Case.created_at.desc(), Case.id.desc())
            .limit(self.PROBE_ROWS)
            .subquery()
        )
        rows = (
            select(func.greatest(literal_column("reltuples"), 0))
            .select_from(text("pg_class"))
            .where(literal_column("oid") == literal_column("'cases'::regclass"))
        )
        stmt = select(
            func.count(), func.count().filter(newest.c.m), rows.scalar_subquery()
        ).select_from(newest)
        seen, matched, estimate = (await self.session.execute(stmt)).one()
        return int(seen), int(matched), int(estimate or 0)

    # Blind index --------------------------------------------------------------------

    async def add_search_tokens(self, case_id: int, tokens: set[str]) -> None:
        """Add the tokens the case does not have yet."""
        existing = set(
            (
                await self.session.scalars(
                    select(CaseSearchToken.token).where(CaseSearchToken.case_id == case_id)
                )
            ).all()
        )
        self.session.add_all(
            CaseSearchToken(token=t, case_id=case_id) for t in sorted(tokens - existing)
        )

    async def sensitive_with_content(self, *, after_id: int, limit: int) -> list[Case]:
        """Sensitive cases whose content is kept, in id order, after ``after_id``."""
        stmt = (
            select(Case)
            .where(Case.sensitive.is_(True), Case.content_purged_at.is_(None), Case.id > after_id)
            .order_by(Case.id)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def drop_search_tokens(self) -> None:
        await self.session.execute(delete(CaseSearchToken))

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

    # Retention ----------------------------------------------------------------------

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
            .values(narrative=None, narrative_enc=None, content_purged_at=at)
            .execution_options(synchronize_session=False)
        )
