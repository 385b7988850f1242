"""Building the blind index of sensitive cases (see :mod:`storage.search`).

New text is indexed as it arrives (:mod:`storage.services.intake`). :func:`reindex`
indexes what is already stored: sensitive cases from before the blind index existed,
and, after the server secret is rotated, every sensitive case again under the new key.
It reads one batch of cases at a time and is safe to run again.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.core import Core
from storage.repositories.cases import CaseRepository
from storage.repositories.search import SearchRepository
from storage.sealed import Context, Sealer
from storage.search import blind_tokens

BATCH = 500


async def reindex(session: AsyncSession, core: Core, *, fresh: bool = False) -> int:
    """Index every sensitive case that still has content; return how many were read.

    ``fresh`` first drops every token (after a key rotation the old ones match nothing).
    """
    sealer = Sealer(core.crypto)
    repo = CaseRepository(session)
    index = SearchRepository(session)
    if fresh:
        await index.drop_search_tokens()
    after_id, done = 0, 0
    while cases := await index.sensitive_with_content(after_id=after_id, limit=BATCH):
        texts: dict[int, list[str | None]] = {
            c.id: [sealer.read(c.narrative, c.narrative_enc, Context.NARRATIVE)] for c in cases
        }
        for addition in await repo.additions_for(list(texts)):
            texts[addition.case_id].append(
                sealer.read(addition.body, addition.body_enc, Context.ADDITION)
            )
        for case_id, plain, sealed in await repo.attachment_texts_for(list(texts)):
            texts[case_id].append(sealer.read(plain, sealed, Context.ATTACHMENT_TEXT))
        for case_id, parts in texts.items():
            await index.add_search_tokens(case_id, blind_tokens(core.crypto, *parts))
        await repo.flush()
        after_id, done = cases[-1].id, done + len(cases)
    return done
