"""The staff worklist (``GET /cases``): filters, text search, sort, cursor pages.

Cursors are opaque and signed: a tampered cursor is refused, never trusted.

``total`` is counted once per query, on its first page, and no further than
:data:`COUNT_CAP`: past it the page says ``total_capped`` (shown as "10 000+"). Later
pages carry the first page's count in their (signed) cursor instead of counting again,
so paging through a million cases never re-reads them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.cursor import CursorCodec, fingerprint
from storage.enums import AuditAction, Sort
from storage.errors import InvalidCursor, InvalidSort, NoSearchWords, PermissionDenied
from storage.models import Case
from storage.refs import canonical_ref
from storage.repositories.activity import ActivityRepository
from storage.repositories.filters import CaseFilter
from storage.repositories.search import SearchRepository
from storage.repositories.worklist import WorklistRepository
from storage.search import blind_query_tokens, terms
from storage.services.activity import NEWS_WINDOW
from storage.services.audit import AuditLog

MAX_PAGE = 200
COUNT_CAP = 10_000
MATCH_REFERENCE = "reference"
MATCH_TEXT = "text"


T = TypeVar("T")
# A repository read of one page: its items and, for each, its sort key's values.
PageReader = Callable[..., Awaitable[tuple[list[T], list[list[Any]]]]]


@dataclass(frozen=True)
class CasePage(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int
    # True when more than ``total`` (== COUNT_CAP) cases match.
    total_capped: bool = False
    # With ``positions=True``: for each item, the cursor of the list right after it (the
    # case page's "next case" reads one case from there).
    positions: list[str] = field(default_factory=list)
    # How a search query was read: MATCH_REFERENCE (one case's reference) or MATCH_TEXT
    # (words); None without a query.
    match: str | None = None


class Worklist:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.core = core
        self.session = session
        self.cases = WorklistRepository(session)
        self.search = SearchRepository(session)
        self.cursors = CursorCodec(core.crypto, "worklist-cursor")
        self.audit = AuditLog(session, core.clock)

    async def page(
        self,
        actor: Actor,
        flt: CaseFilter,
        *,
        query: str | None = None,
        sort: Sort | str = Sort.CREATED_DESC,
        cursor: str | None = None,
        limit: int = 50,
        positions: bool = False,
    ) -> CasePage[Case]:
        """A page of whole cases (the console shows their excerpts)."""
        return await self._page(
            self.cases.list_page,
            actor,
            flt,
            query=query,
            sort=sort,
            cursor=cursor,
            limit=limit,
            positions=positions,
        )

    async def attachment_counts(self, case_ids: list[int]) -> dict[int, int]:
        """How many files each of these cases holds (a worklist row shows it)."""
        return await self.cases.attachment_counts(case_ids)

    async def rows(
        self,
        actor: Actor,
        flt: CaseFilter,
        *,
        query: str | None = None,
        sort: Sort | str = Sort.CREATED_DESC,
        cursor: str | None = None,
        limit: int = 50,
        positions: bool = False,
    ) -> CasePage[dict[str, Any]]:
        """The same page as plain rows of what a worklist row shows, its ``overdue`` flag
        and tags (:meth:`WorklistRepository.list_rows`): no narratives, no ORM objects."""
        return await self._page(
            self.cases.list_rows,
            actor,
            flt,
            query=query,
            sort=sort,
            cursor=cursor,
            limit=limit,
            positions=positions,
        )

    async def _page(
        self,
        read: PageReader[T],
        actor: Actor,
        flt: CaseFilter,
        *,
        query: str | None,
        sort: Sort | str,
        cursor: str | None,
        limit: int,
        positions: bool = False,
    ) -> CasePage[T]:
        if not actor.can_see_cases:
            raise PermissionDenied("Your role does not work with cases.")
        if sort not in set(Sort):
            raise InvalidSort(sort)
        sort = Sort(sort)
        limit = max(1, min(limit, MAX_PAGE))
        now = self.core.clock.now()
        may_see_sensitive = actor.can_see_sensitive
        flt, match = self._prepare(actor, flt, query)
        query_print = _fingerprint(flt, sort, may_see_sensitive)
        after: list[Any] | None = None
        total: int | None = None
        if cursor:
            values = self.cursors.decode(cursor, query_print)
            if len(values) < 2 or not isinstance(values[-1], int):
                raise InvalidCursor()
            after, total = values[:-1], values[-1]
        if total is None:
            total = await self.search.count(
                flt, may_see_sensitive=may_see_sensitive, now=now, cap=COUNT_CAP
            )
            if query is not None and may_see_sensitive:
                await self._audit_sensitive_search(actor, flt, now)
        items, keys = await read(
            flt,
            may_see_sensitive=may_see_sensitive,
            now=now,
            sort=sort,
            after=after,
            limit=limit + 1,
            # Past the cap, a search walks the date index rather than gather its matches.
            many=total > COUNT_CAP,
        )
        next_cursor = None
        if len(items) > limit:
            items, keys = items[:limit], keys[:limit]
            next_cursor = self.cursors.encode([*keys[-1], total], query_print)
        return CasePage(
            items=items,
            next_cursor=next_cursor,
            total=min(total, COUNT_CAP),
            total_capped=total > COUNT_CAP,
            positions=[self.cursors.encode([*key, total], query_print) for key in keys]
            if positions
            else [],
            match=match,
        )

    def _prepare(
        self, actor: Actor, flt: CaseFilter, query: str | None
    ) -> tuple[CaseFilter, str | None]:
        """The filter as this reader's query means it, and how the query matched: a
        reference typed into search means that case, whatever the other filters (found
        by the visibility rule alone, so a case the reader may not see is answered
        exactly like one that does not exist); words are searched (with blind tokens for
        a focal point); and a focal point never gets a case they are kept away from."""
        match = None
        if query is not None:
            ref = canonical_ref(query)
            if ref is not None:
                flt, match = CaseFilter(refs=(ref,)), MATCH_REFERENCE
            else:
                words = terms(query)
                if not words:
                    raise NoSearchWords()
                flt, match = replace(flt, search_terms=tuple(words)), MATCH_TEXT
                if actor.can_see_sensitive and flt.sensitive is not False:
                    flt = replace(
                        flt, blind_tokens=tuple(blind_query_tokens(self.core.crypto, words))
                    )
        if actor.can_see_sensitive:
            flt = replace(flt, viewer_id=actor.user_id)
        return flt, match

    async def new_activity(self, actor: Actor, case_ids: Sequence[int]) -> dict[int, set[str]]:
        """What is new to this reader on each of these cases since they last opened it
        (:mod:`storage.services.activity`); cases with nothing new are left out."""
        if actor.user_id is None or not actor.can_see_cases:
            return {}
        since = self.core.clock.now() - NEWS_WINDOW
        return await ActivityRepository(self.session).new_for(actor.user_id, case_ids, since=since)

    async def new_activity_by_status(
        self, actor: Actor, flt: CaseFilter, *, query: str | None = None
    ) -> dict[str, int]:
        """How many cases of the filter (its statuses aside) have something new to this
        reader, per status: the worklist's tabs count them."""
        if actor.user_id is None or not actor.can_see_cases:
            return {}
        try:
            prepared, _ = self._prepare(actor, replace(flt, statuses=()), query)
        except NoSearchWords:
            return {}
        now = self.core.clock.now()
        return await ActivityRepository(self.session).new_by_status(
            actor.user_id,
            prepared,
            may_see_sensitive=actor.can_see_sensitive,
            now=now,
            since=now - NEWS_WINDOW,
        )

    async def _audit_sensitive_search(self, actor: Actor, flt: CaseFilter, now: datetime) -> None:
        """A search that matches sensitive cases leaves a trace: who, when, and how many
        sensitive cases matched; never the words (they may come from a narrative). Once
        per query, on its first page."""
        if flt.sensitive is False:
            return
        matches = await self.search.count(
            replace(flt, sensitive=True), may_see_sensitive=True, now=now, cap=COUNT_CAP
        )
        if matches:
            self.audit.record(
                actor,
                AuditAction.CASES_SEARCHED_SENSITIVE,
                after={"sensitive_matches": matches},
                sensitive=True,
            )


def _fingerprint(flt: CaseFilter, sort: Sort, sensitive: bool) -> str:
    """Binds a cursor to its query: reusing it with other filters is refused."""
    return fingerprint(
        sort, sensitive, {k: v for k, v in flt.__dict__.items() if k != "blind_tokens"}
    )
