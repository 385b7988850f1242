"""The shapes the worklist's statements take for speed (storage.repositories.worklist
and .search, storage.search, migration 0011) find exactly the cases the plain rules say,
on both engines: a filtered worklist read through its index, a common word walked in
date order, a rare one gathered by key, across page boundaries and the visibility rule."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, inspect

import storage.services.worklist as worklist_module
from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.db import create_engine
from storage.enums import Status
from storage.repositories.filters import CaseFilter
from storage.repositories.search import SearchRepository
from storage.search import blind_query_tokens
from storage.services.intake import IntakeService
from storage.services.triage import CaseChanges, TriageService
from storage.services.worklist import Worklist
from tests.storage.helpers import make_staff, submit


@pytest.fixture
async def people(core: Core) -> dict[str, Actor]:
    return {
        "operator": await make_staff(core, "oper", "operator"),
        "focal": await make_staff(core, "focal", "focal_point"),
    }


@contextmanager
def statements(core: Core) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        sent.append(sql)

    event.listen(core.database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(core.database.engine.sync_engine, "before_cursor_execute", record)


async def every_page(
    core: Core, actor: Actor, flt: CaseFilter, *, query: str | None = None, limit: int = 2
) -> tuple[list[str], int, bool]:
    """Every case of the query, page by page: refs in order, and the first page's total."""
    seen: list[str] = []
    cursor = None
    total, capped = -1, False
    while True:
        async with core.database.transaction() as session:
            result = await Worklist(session, core).page(
                actor, flt, query=query, limit=limit, cursor=cursor
            )
        if total < 0:
            total, capped = result.total, result.total_capped
        seen += [c.ref for c in result.items]
        if (cursor := result.next_cursor) is None:
            return seen, total, capped


async def add_info(core: Core, ref: str, actor: Actor, text: str) -> None:
    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(ref, actor, audit_read=False)
        await IntakeService(session, core).add_reporter_info(case.id, text=text)


async def test_the_filter_indexes_are_migrated(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            indexes = await conn.run_sync(
                lambda sync: {
                    i["name"]: i["column_names"] for i in inspect(sync).get_indexes("cases")
                }
            )
    finally:
        await engine.dispose()
    assert indexes["ix_cases_oblast_status_category"] == [
        "oblast",
        "status",
        "category",
        "sensitive",
        "created_at",
        "id",
    ]
    assert indexes["ix_cases_category_status"] == [
        "category",
        "status",
        "sensitive",
        "created_at",
        "id",
    ]
    # Superseded by the two above, which lead with the same column.
    assert "ix_cases_oblast" not in indexes and "ix_cases_category" not in indexes


async def test_a_filtered_worklist_pages_through_exactly_its_cases(
    core: Core, people: dict[str, Actor], clock: FrozenClock
) -> None:
    op, focal = people["operator"], people["focal"]
    wanted: list[str] = []
    for i in range(7):
        clock.advance(timedelta(minutes=3))
        wanted.append(
            (
                await submit(core, oblast="UA-63", category="assistance_quality", narrative=f"№{i}")
            ).ref
        )
        # Neighbours differing in one filter each, and a sensitive case in the same oblast.
        await submit(core, oblast="UA-46", category="assistance_quality")
        await submit(core, oblast="UA-63", category="staff_conduct")
    hidden = await submit(core, oblast="UA-63", category="trafficking", narrative="x")
    # One acknowledged (still listed), one taken further (no longer listed).
    for ref, steps in ((wanted[2], 1), (wanted[4], 2)):
        for status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS)[:steps]:
            async with core.database.transaction() as session:
                await TriageService(session, core).update(
                    ref, op, expected_version=None, changes=CaseChanges(status=status)
                )
    flt = CaseFilter(
        statuses=(Status.NEW, Status.ACKNOWLEDGED),
        oblasts=("UA-63",),
        categories=("assistance_quality",),
    )
    newest_first = [r for r in reversed(wanted) if r != wanted[4]]
    with statements(core) as sent:
        seen, total, capped = await every_page(core, op, flt, limit=2)
    assert seen == newest_first and (total, capped) == (6, False)
    # The page picks its ids first and reads only their rows.
    pages = [s for s in sent if "ORDER BY cases." in s and "count(*)" not in s]
    assert pages and all("WHERE cases.id IN (SELECT cases.id" in s for s in pages)
    if core.database.engine.dialect.name == "postgresql":
        # No text to search: the planner needs no probe of the newest cases.
        assert not any("FILTER" in s for s in sent)
    # The focal point's filter may reach sensitive categories; the operator's never does.
    sensitive = CaseFilter(oblasts=("UA-63",), categories=("trafficking",))
    assert (await every_page(core, focal, sensitive))[:2] == ([hidden.ref], 1)
    assert (await every_page(core, op, sensitive))[:2] == ([], 0)


@pytest.mark.parametrize("cap", [100, 2])
async def test_common_and_rare_words_find_the_same_cases_either_side_of_the_cap(
    core: Core,
    people: dict[str, Actor],
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    cap: int,
) -> None:
    """Past the cap a search walks the date index with the matches as a lookup set; under
    it the matches are gathered by key and sorted. Same cases, same order, either way."""
    monkeypatch.setattr(worklist_module, "COUNT_CAP", cap)
    op, focal = people["operator"], people["focal"]
    common: list[str] = []
    for i in range(5):
        clock.advance(timedelta(minutes=1))
        common.append((await submit(core, narrative=f"Черга біля пункту {i}")).ref)
        await submit(core, narrative="Нічого особливого")
    clock.advance(timedelta(minutes=1))
    rare = await submit(core, narrative="Зламаний генератор")
    clock.advance(timedelta(minutes=1))
    added = await submit(core, narrative="Спочатку все було добре")
    await add_info(core, added.ref, op, "Потім черга і генератор")
    clock.advance(timedelta(minutes=1))
    secret = await submit(core, category="trafficking", narrative="Черга і паспорт")
    # Minute-coarse times: two cases of the same minute are ordered by their id.
    clock.advance(timedelta(minutes=1))
    twins = [(await submit(core, narrative=f"Черга двійня {i}")).ref for i in range(2)]

    standard = [*reversed(twins), added.ref, *reversed(common)]
    with statements(core) as sent:
        seen, total, capped = await every_page(core, op, CaseFilter(), query="черг")
    assert seen == standard
    assert (total, capped) == (min(len(standard), cap), len(standard) > cap)
    focal_seen, focal_total, _ = await every_page(core, focal, CaseFilter(), query="черг")
    assert focal_seen == [*reversed(twins), secret.ref, added.ref, *reversed(common)]
    assert focal_total == min(len(standard) + 1, cap)
    assert (await every_page(core, op, CaseFilter(), query="генератор"))[:2] == (
        [added.ref, rare.ref],
        2,
    )
    assert (await every_page(core, op, CaseFilter(), query="черга генератор"))[0] == [added.ref]
    assert (await every_page(core, op, CaseFilter(), query="паспорт"))[:2] == ([], 0)
    assert (await every_page(core, focal, CaseFilter(), query="паспорт"))[0] == [secret.ref]

    pages = [s for s in sent if "ORDER BY cases." in s and "count(*)" not in s]
    dialect = core.database.engine.dialect.name
    if dialect == "sqlite":
        # Past the cap, the date index walked with the matches as a lookup set.
        walked = [s for s in pages if "cases.id + " in s]
        assert bool(walked) == capped
        assert "UNION ALL" in pages[0]
    elif not capped:
        # Under it, PostgreSQL looks the gathered ids up by key.
        assert all("= ANY (array(" in s for s in pages)


async def test_counting_a_searchs_sensitive_matches_skips_the_standard_text(
    core: Core, people: dict[str, Actor]
) -> None:
    """A sensitive case's text is only in the blind index, so the count of a search's
    sensitive matches (the focal point's audit) never asks the full-text index, which
    would gather every match of a common word to find none of them sensitive."""
    for i in range(3):
        await submit(core, narrative=f"Черга біля пункту {i}")
    for i in range(2):
        await submit(core, category="trafficking", narrative=f"Черга і паспорт {i}")
    async with core.database.transaction() as session:
        result = await Worklist(session, core).page(people["focal"], CaseFilter(), query="черг")
    assert result.total == 5
    async with core.database.transaction() as session:
        flt = CaseFilter(
            search_terms=("черг",),
            blind_tokens=tuple(blind_query_tokens(core.crypto, ["черг"])),
        )
        repo = SearchRepository(session)
        now = core.clock.now()
        with statements(core) as sent:
            sensitive = await repo.count(
                replace(flt, sensitive=True), may_see_sensitive=True, now=now, cap=100
            )
        assert sensitive == 2
        assert not any("cases_fts" in s or "search_document" in s for s in sent)
        assert await repo.count(flt, may_see_sensitive=True, now=now, cap=100) == 5
        standard = await repo.count(
            replace(flt, sensitive=False, blind_tokens=()), may_see_sensitive=True, now=now, cap=100
        )
        assert standard == 3
