"""The worklist's pages (``GET /cases``): keyset pages of a filter in a sort order.

How many cases a filter matches is :mod:`storage.repositories.search`'s (a text term is
what makes counting hard); which cases a filter means is :mod:`storage.repositories.filters`'s.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
)

from storage.enums import Priority, Sort
from storage.models import Attachment, Case, CaseTag
from storage.repositories.base import Repository
from storage.repositories.filters import (
    CaseFilter,
    case_conditions,
    due_expression,
    overdue_condition,
)

PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


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


# What a worklist row shows of a case (:meth:`WorklistRepository.list_rows`).
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


# How many files each case of a page holds.
_FILES_OF = (
    select(Attachment.case_id, func.count())
    .where(Attachment.case_id.in_(bindparam("ids", expanding=True)))
    .group_by(Attachment.case_id)
)


class WorklistRepository(Repository):
    async def attachment_counts(self, case_ids: list[int]) -> dict[int, int]:
        if not case_ids:
            return {}
        rows = await self.session.execute(_FILES_OF, {"ids": case_ids})
        return {case_id: int(count) for case_id, count in rows}

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
            *case_conditions(
                flt,
                dialect=self.dialect,
                may_see_sensitive=may_see_sensitive,
                now=now,
                many=many,
            )
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
        overdue = overdue_condition(now).label("overdue")
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
