"""Text search's queries: how many cases a worklist filter matches, and the blind index.

The count is here because a text term is what makes it hard (a common word matches a
third of a million cases); the matching itself is :mod:`storage.search`'s, and which
cases a filter means is :mod:`storage.repositories.filters`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)

from storage.models import Attachment, Base, Case, CaseAddition, CaseSearchToken
from storage.repositories.base import Repository
from storage.repositories.filters import CaseFilter, case_conditions
from storage.search import blind_match, plain_match, row_match


@dataclass(frozen=True)
class IndexedText:
    """One stored text as the indexes see it: ``table`` is ``cases`` (the narrative),
    ``case_additions`` or ``attachments``."""

    table: str
    row_id: int
    case_id: int
    sensitive: bool
    plain: str | None
    sealed: bytes | None
    lemmas: str | None


class SearchRepository(Repository):
    def _conditions(
        self, flt: CaseFilter, *, may_see_sensitive: bool, now: datetime
    ) -> list[ColumnElement[bool]]:
        return case_conditions(
            flt, dialect=self.dialect, may_see_sensitive=may_see_sensitive, now=now
        )

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

    # Re-indexing ----------------------------------------------------------------------

    async def count_with_content(self, *, sensitive_only: bool = False) -> int:
        stmt = select(func.count()).select_from(Case).where(Case.content_purged_at.is_(None))
        if sensitive_only:
            stmt = stmt.where(Case.sensitive.is_(True))
        return int(await self.session.scalar(stmt) or 0)

    async def add_search_tokens_for(self, tokens: dict[int, set[str]]) -> None:
        """:meth:`add_search_tokens` for a batch of cases: one read of what they have,
        one multi-row insert of the rest (re-indexing; ORM rows per token cost 10x)."""
        if not tokens:
            return
        stmt = select(CaseSearchToken.case_id, CaseSearchToken.token).where(
            CaseSearchToken.case_id.in_(sorted(tokens))
        )
        existing = {(r[0], r[1]) for r in (await self.session.execute(stmt)).all()}
        rows = [
            {"case_id": case_id, "token": token}
            for case_id, wanted in sorted(tokens.items())
            for token in sorted(wanted)
            if (case_id, token) not in existing
        ]
        if rows:
            await self.session.execute(insert(Base.metadata.tables["case_search_tokens"]), rows)

    async def texts_after(
        self, *, after_id: int, limit: int, sensitive_only: bool = False
    ) -> list[IndexedText]:
        """The texts of the next ``limit`` cases with content, in id order after
        ``after_id``: each case's narrative first, then its additions and files."""
        cases = (
            select(Case.id, Case.sensitive, Case.narrative, Case.narrative_enc, Case.lemmas)
            .where(Case.content_purged_at.is_(None), Case.id > after_id)
            .order_by(Case.id)
            .limit(limit)
        )
        if sensitive_only:
            cases = cases.where(Case.sensitive.is_(True))
        found = [
            IndexedText("cases", r[0], r[0], r[1], r[2], r[3], r[4])
            for r in (await self.session.execute(cases)).all()
        ]
        if not found:
            return found
        sensitive = {t.case_id: t.sensitive for t in found}
        ids = list(sensitive)
        additions = select(
            CaseAddition.id,
            CaseAddition.case_id,
            CaseAddition.body,
            CaseAddition.body_enc,
            CaseAddition.lemmas,
        ).where(CaseAddition.case_id.in_(ids))
        files = select(
            Attachment.id,
            Attachment.case_id,
            Attachment.text,
            Attachment.text_enc,
            Attachment.lemmas,
        ).where(
            Attachment.case_id.in_(ids),
            or_(Attachment.text.is_not(None), Attachment.text_enc.is_not(None)),
        )
        for table, stmt in (("case_additions", additions), ("attachments", files)):
            for r in (await self.session.execute(stmt.order_by(literal_column("id")))).all():
                found.append(IndexedText(table, r[0], r[1], sensitive[r[1]], r[2], r[3], r[4]))
        return found

    async def set_lemmas(self, table: str, lemmas: dict[int, str | None]) -> None:
        """Store re-computed lemmas by row id. A plain UPDATE: re-indexing is not a staff
        edit and must not make anyone's open form stale (no version bump)."""
        if not lemmas:
            return
        target = Base.metadata.tables[table]
        stmt = (
            update(target)
            .where(target.c.id == bindparam("row_id"))
            .values(lemmas=bindparam("new_lemmas"))
        )
        await self.session.execute(
            stmt, [{"row_id": k, "new_lemmas": v} for k, v in sorted(lemmas.items())]
        )

    async def drop_search_tokens(self) -> None:
        await self.session.execute(delete(CaseSearchToken))
