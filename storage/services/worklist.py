"""The staff worklist (SPEC §6 ``GET /cases``): filters, text search, sort, cursor pages.

Cursors are opaque and signed: a tampered cursor is refused, never trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.errors import InvalidInput, PermissionDenied
from storage.models import Case
from storage.repositories.cases import SORTS, CaseFilter, CaseRepository
from storage.search import matches, terms
from storage.services.cases import ADDITION_CONTEXT, NARRATIVE_CONTEXT

MAX_PAGE = 200


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__("The pagination cursor is not valid for this query; start again.")


class InvalidSort(InvalidInput):
    code = "invalid_sort"

    def __init__(self, sort: str) -> None:
        super().__init__(f"Unknown sort {sort!r}; use one of: {', '.join(SORTS)}.")


@dataclass(frozen=True)
class CasePage:
    items: list[Case]
    next_cursor: str | None
    total: int


class Worklist:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.core = core
        self.cases = CaseRepository(session)

    async def page(
        self,
        actor: Actor,
        flt: CaseFilter,
        *,
        query: str | None = None,
        sort: str = "-created",
        cursor: str | None = None,
        limit: int = 50,
    ) -> CasePage:
        if not actor.can_see_cases:
            raise PermissionDenied("Your role does not work with cases.")
        if sort not in SORTS:
            raise InvalidSort(sort)
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
        fingerprint = self._fingerprint(flt, sort, may_see_sensitive)
        after = self._decode(cursor, fingerprint) if cursor else None
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
            next_cursor = self._encode(keys[-1], fingerprint)
        total = await self.cases.count(flt, may_see_sensitive=may_see_sensitive, now=now)
        return CasePage(items=items, next_cursor=next_cursor, total=total)

    async def _sensitive_matches(self, flt: CaseFilter, words: list[str]) -> list[int]:
        """Sensitive text is encrypted, so it is searched after decryption, in memory."""
        crypto = self.core.crypto
        candidates = await self.cases.sensitive_candidates(flt, now=self.core.clock.now())
        additions: dict[int, list[str]] = {}
        for addition in await self.cases.additions_for([c.id for c in candidates]):
            if addition.body_enc is not None:
                additions.setdefault(addition.case_id, []).append(
                    crypto.decrypt_text(addition.body_enc, ADDITION_CONTEXT)
                )
        matched = []
        for case in candidates:
            narrative = (
                crypto.decrypt_text(case.narrative_enc, NARRATIVE_CONTEXT)
                if case.narrative_enc
                else None
            )
            if matches(words, narrative, *additions.get(case.id, [])):
                matched.append(case.id)
        return matched

    # Cursors ------------------------------------------------------------------------

    def _fingerprint(self, flt: CaseFilter, sort: str, sensitive: bool) -> str:
        """Binds a cursor to its query: reusing it with other filters is refused."""
        described = json.dumps(
            [sort, sensitive, {k: v for k, v in flt.__dict__.items() if k != "extra_match_ids"}],
            default=str,
            sort_keys=True,
        )
        return hashlib.sha256(described.encode()).hexdigest()[:16]

    def _sign(self, payload: bytes) -> bytes:
        return self.core.crypto.sign(payload, "worklist-cursor")

    def _encode(self, values: list[Any], fingerprint: str) -> str:
        payload = json.dumps(
            {"f": fingerprint, "v": [_to_json(v) for v in values]}, separators=(",", ":")
        ).encode()
        return base64.urlsafe_b64encode(self._sign(payload) + payload).decode().rstrip("=")

    def _decode(self, cursor: str, fingerprint: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursor() from None
        signature, payload = raw[:16], raw[16:]
        if len(signature) != 16 or not hmac.compare_digest(signature, self._sign(payload)):
            raise InvalidCursor()
        try:
            data = json.loads(payload)
            if data["f"] != fingerprint:
                raise InvalidCursor()
            return [_from_json(v) for v in data["v"]]
        except (KeyError, TypeError, ValueError):
            raise InvalidCursor() from None


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        return datetime.fromisoformat(value["t"])
    return value
