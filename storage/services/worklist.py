"""The staff worklist (SPEC §6 ``GET /cases``): filters, text search, sort, cursor pages.

Cursors are opaque and signed: a tampered cursor is refused, never trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.cursor import CursorCodec, fingerprint
from storage.enums import Sort
from storage.errors import InvalidSort, PermissionDenied
from storage.models import Case
from storage.repositories.cases import CaseFilter, CaseRepository
from storage.sealed import Context, Sealer
from storage.search import matches, terms

MAX_PAGE = 200


@dataclass(frozen=True)
class CasePage:
    items: list[Case]
    next_cursor: str | None
    total: int


class Worklist:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.core = core
        self.cases = CaseRepository(session)
        self.cursors = CursorCodec(core.crypto, "worklist-cursor")

    async def page(
        self,
        actor: Actor,
        flt: CaseFilter,
        *,
        query: str | None = None,
        sort: Sort | str = Sort.CREATED_DESC,
        cursor: str | None = None,
        limit: int = 50,
    ) -> CasePage:
        if not actor.can_see_cases:
            raise PermissionDenied("Your role does not work with cases.")
        if sort not in set(Sort):
            raise InvalidSort(sort)
        sort = Sort(sort)
        limit = max(1, min(limit, MAX_PAGE))
        now = self.core.clock.now()
        may_see_sensitive = actor.can_see_sensitive
        if query is not None:
            words = terms(query)
            if not words:
                return CasePage(items=[], next_cursor=None, total=0)
            flt = replace(flt, search_terms=tuple(words))
            if may_see_sensitive and flt.sensitive is not False:
                flt = replace(flt, extra_match_ids=tuple(await self._sensitive_matches(flt, words)))
        query_print = _fingerprint(flt, sort, may_see_sensitive)
        after = self.cursors.decode(cursor, query_print) if cursor else None
        items, keys = await self.cases.list_page(
            flt,
            may_see_sensitive=may_see_sensitive,
            now=now,
            sort=sort,
            after=after,
            limit=limit + 1,
        )
        next_cursor = None
        if len(items) > limit:
            items, keys = items[:limit], keys[:limit]
            next_cursor = self.cursors.encode(keys[-1], query_print)
        total = await self.cases.count(flt, may_see_sensitive=may_see_sensitive, now=now)
        return CasePage(items=items, next_cursor=next_cursor, total=total)

    async def _sensitive_matches(self, flt: CaseFilter, words: list[str]) -> list[int]:
        """Sensitive text is encrypted, so it is searched after decryption, in memory."""
        sealer = Sealer(self.core.crypto)
        candidates = await self.cases.sensitive_candidates(flt, now=self.core.clock.now())
        additions: dict[int, list[str]] = {}
        for addition in await self.cases.additions_for([c.id for c in candidates]):
            if addition.body_enc is not None:
                additions.setdefault(addition.case_id, []).append(
                    sealer.open(addition.body_enc, Context.ADDITION)
                )
        matched = []
        for case in candidates:
            narrative = sealer.read(None, case.narrative_enc, Context.NARRATIVE)
            if matches(words, narrative, *additions.get(case.id, [])):
                matched.append(case.id)
        return matched


def _fingerprint(flt: CaseFilter, sort: Sort, sensitive: bool) -> str:
    """Binds a cursor to its query: reusing it with other filters is refused."""
    return fingerprint(
        sort, sensitive, {k: v for k, v in flt.__dict__.items() if k != "extra_match_ids"}
    )
