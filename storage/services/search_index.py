"""Building the search indexes of stored cases (see :mod:`storage.search`).

New text is indexed as it arrives (:mod:`storage.services.intake`; the lemmas of plain
text by the models' events). :func:`reindex` indexes what is already stored: the lemmas
of standard cases stored before search knew lemmas (or after the lemmatiser changed), the
blind index of sensitive ones, and, after the server secret is rotated, every sensitive
case again under the new key. It reads one batch of cases at a time, writes only what
changed, and is safe to run again. ``holos search reindex`` runs it batch by batch, each
in its own transaction, with a progress bar.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from storage.core import Core
from storage.lemmas import MAX_TEXT_CHARS, index_text
from storage.repositories.search import IndexedText, SearchRepository
from storage.sealed import Context, Sealer
from storage.search import blind_tokens

BATCH = 500
_CONTEXTS = {
    "cases": Context.NARRATIVE,
    "case_additions": Context.ADDITION,
    "attachments": Context.ATTACHMENT_TEXT,
}


async def reindex(
    session: AsyncSession, core: Core, *, fresh: bool = False, sensitive_only: bool = False
) -> int:
    """Index every case that still has content, in this one transaction; return how many
    were read. ``fresh`` first drops every blind-index token (after a key rotation the
    old ones match nothing); ``sensitive_only`` leaves standard cases' lemmas alone."""
    if fresh:
        await SearchRepository(session).drop_search_tokens()
    after_id, done = 0, 0
    while True:
        read, after_id = await reindex_batch(
            session, core, after_id=after_id, sensitive_only=sensitive_only
        )
        if not read:
            return done
        done += read


async def reindex_batch(
    session: AsyncSession,
    core: Core,
    *,
    after_id: int,
    limit: int | None = None,
    sensitive_only: bool = False,
) -> tuple[int, int]:
    """Index the next ``limit`` (:data:`BATCH`) cases after ``after_id``:
    ``(cases read, last id)``."""
    index = SearchRepository(session)
    texts = await index.texts_after(
        after_id=after_id, limit=limit or BATCH, sensitive_only=sensitive_only
    )
    if not texts:
        return 0, after_id
    sealer = Sealer(core.crypto)
    changed: dict[str, dict[int, str | None]] = defaultdict(dict)
    sealed: dict[int, list[str | None]] = defaultdict(list)
    cases = [t.case_id for t in texts if t.table == "cases"]
    for item in texts:
        if item.sensitive:
            sealed[item.case_id].append(_read(sealer, item))
            continue
        plain = item.plain[:MAX_TEXT_CHARS] if item.plain is not None else None
        lemmas = index_text(plain)
        if lemmas != item.lemmas:
            changed[item.table][item.row_id] = lemmas
    for table, rows in changed.items():
        await index.set_lemmas(table, rows)
    await index.add_search_tokens_for(
        {case_id: blind_tokens(core.crypto, *parts) for case_id, parts in sealed.items()}
    )
    await session.flush()
    return len(cases), max(cases)


def _read(sealer: Sealer, item: IndexedText) -> str | None:
    return sealer.read(item.plain, item.sealed, _CONTEXTS[item.table])


async def reindex_all(
    core: Core,
    *,
    fresh: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """:func:`reindex` for a whole database: one transaction per batch, so the bot and
    the console keep working meanwhile. ``progress(done, total)`` after each batch."""
    async with core.database.transaction() as session:
        index = SearchRepository(session)
        total = await index.count_with_content()
        if fresh:
            await index.drop_search_tokens()
    after_id, done = 0, 0
    if progress is not None:
        progress(0, total)
    while True:
        async with core.database.transaction() as session:
            read, after_id = await reindex_batch(session, core, after_id=after_id)
        if not read:
            return done
        done += read
        if progress is not None:
            progress(done, max(total, done))
