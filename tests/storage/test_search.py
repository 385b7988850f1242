"""Search through the indexes on both engines: standard text by full-text index, sensitive
text by its blind index (focal points only); counts capped and counted once per query."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

import storage.services.worklist as worklist_module
from storage.access import Actor
from storage.core import Core
from storage.enums import Status
from storage.models import CaseSearchToken
from storage.repositories.cases import CaseRepository
from storage.repositories.filters import CaseFilter
from storage.repositories.retention import RetentionRepository
from storage.repositories.search import SearchRepository
from storage.services.intake import IntakeService
from storage.services.search_index import reindex
from storage.services.triage import TriageService
from storage.services.worklist import CasePage, Worklist
from tests.storage.helpers import make_staff, submit

SECRET_WORDS = ("Вимагали", "хабар", "паспорт", "Забрали")


async def page(core: Core, actor: Actor, **kwargs: object) -> CasePage:
    async with core.database.transaction() as session:
        return await Worklist(session, core).page(actor, CaseFilter(), **kwargs)  # type: ignore[arg-type]


async def found(core: Core, actor: Actor, query: str) -> set[str]:
    return {c.ref for c in (await page(core, actor, query=query, limit=200)).items}


@pytest.fixture
async def people(core: Core) -> dict[str, Actor]:
    return {
        "operator": await make_staff(core, "oper", "operator"),
        "focal": await make_staff(core, "focal", "focal_point"),
    }


async def add_info(core: Core, ref: str, actor: Actor, text: str) -> None:
    async with core.database.transaction() as session:
        case = await TriageService(session, core).get_visible(ref, actor, audit_read=False)
        await IntakeService(session, core).add_reporter_info(case.id, text=text)


async def test_rare_and_common_words_in_narratives_and_additions(
    core: Core, people: dict[str, Actor]
) -> None:
    op = people["operator"]
    common = [(await submit(core, narrative=f"Черга біля пункту номер {i}")).ref for i in range(6)]
    rare = await submit(core, narrative="Зламаний генератор у пункті")
    later = await submit(core, narrative="Нічого особливого")
    await add_info(core, later.ref, op, "Генератор знову не працює, черга")
    assert await found(core, op, "генератор") == {rare.ref, later.ref}
    assert await found(core, op, "черг") == {*common, later.ref}
    assert await found(core, op, "черга генератор") == {later.ref}  # both words in one text
    assert await found(core, op, "зламаний") == {rare.ref}
    assert await found(core, op, "жодного") == set()


async def test_sensitive_text_is_found_by_its_blind_index_for_focal_points_only(
    core: Core, people: dict[str, Actor]
) -> None:
    bribe = await submit(core, category="fraud_corruption", narrative="Вимагали хабар за список")
    labour = await submit(core, category="trafficking", narrative="Робота без оплати")
    await add_info(core, labour.ref, people["focal"], "Забрали паспорт")
    standard = await submit(core, narrative="Паспорт не питали")
    focal, op = people["focal"], people["operator"]
    assert await found(core, focal, "хаба") == {bribe.ref}  # a prefix
    assert await found(core, focal, "паспорт") == {labour.ref, standard.ref}
    assert await found(core, focal, "оплати паспорт") == {labour.ref}  # narrative + addition
    assert await found(core, focal, "хабар паспорт") == set()
    # An operator's search never reaches sensitive cases, not even through the blind index.
    assert await found(core, op, "хабар") == set()
    assert await found(core, op, "паспорт") == {standard.ref}
    # The blind index holds keyed hashes, never the words.
    async with core.database.transaction() as session:
        tokens = (await session.scalars(select(CaseSearchToken.token))).all()
    assert tokens and all(len(t) == 32 for t in tokens)
    dump = " ".join(tokens).casefold()
    assert not any(w.casefold() in dump for w in SECRET_WORDS)


async def test_the_blind_index_is_rebuilt_and_purged_with_the_content(
    core: Core, people: dict[str, Actor]
) -> None:
    bribe = await submit(core, category="fraud_corruption", narrative="Вимагали хабар")
    async with core.database.transaction() as session:
        # As if stored before the blind index existed.
        await SearchRepository(session).drop_search_tokens()
    assert await found(core, people["focal"], "хабар") == set()
    async with core.database.transaction() as session:
        assert await reindex(session, core) == 1
    assert await found(core, people["focal"], "хабар") == {bribe.ref}
    async with core.database.transaction() as session:
        case = await CaseRepository(session).get_by_ref(bribe.ref)
        assert case is not None
        counts = await RetentionRepository(session).purge_content([case.id])
    assert counts["search_tokens"] > 0
    assert await found(core, people["focal"], "хабар") == set()


async def test_standard_text_leaves_the_index_with_the_content(
    core: Core, people: dict[str, Actor]
) -> None:
    """The index follows the text (PostgreSQL's per-case document is kept by triggers):
    an addition is found once added, and nothing is found once the content is purged."""
    op = people["operator"]
    case = await submit(core, narrative="Черга біля пункту")
    kept = await submit(core, narrative="Черга в селі")
    assert await found(core, op, "генератор") == set()
    await add_info(core, case.ref, op, "Генератор зламався")
    assert await found(core, op, "генератор") == {case.ref}
    async with core.database.transaction() as session:
        row = await CaseRepository(session).get_by_ref(case.ref)
        assert row is not None
        await RetentionRepository(session).purge_content([row.id])
    assert await found(core, op, "генератор") == set()
    async with core.database.transaction() as session:
        await RetentionRepository(session).clear_narratives([row.id], core.clock.now())
    assert await found(core, op, "черга") == {kept.ref}


async def test_the_count_is_capped_and_counted_once_per_query(
    core: Core, people: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worklist_module, "COUNT_CAP", 4)
    for _ in range(7):
        await submit(core)
    counted = 0
    real_count = SearchRepository.count

    async def counting(self: SearchRepository, *args: object, **kwargs: object) -> int:
        nonlocal counted
        counted += 1
        return await real_count(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SearchRepository, "count", counting)
    first = await page(core, people["operator"], limit=3)
    assert (first.total, first.total_capped, len(first.items)) == (4, True, 3)
    pages, cursor = [first], first.next_cursor
    while cursor is not None:
        pages.append(await page(core, people["operator"], limit=3, cursor=cursor))
        cursor = pages[-1].next_cursor
    assert sum(len(p.items) for p in pages) == 7  # the cap limits the count, not the list
    assert all((p.total, p.total_capped) == (4, True) for p in pages)
    assert counted == 1
    few = await page(core, people["operator"], query="продуктів")
    assert (few.total, few.total_capped) == (4, True)
    none = await page(core, people["operator"], query="нічогісінько")
    assert (none.total, none.total_capped) == (0, False)


async def test_past_the_count_cap_a_search_finds_the_same_cases(
    core: Core, people: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the cap the query takes another shape (a filter walked in date order rather
    than a gathered id set, see storage.search); it must find exactly the same cases."""
    op, focal = people["operator"], people["focal"]
    standard = {(await submit(core, narrative=f"Черга номер {i}")).ref for i in range(3)}
    hidden = {
        (await submit(core, category="trafficking", narrative=f"Черга і паспорт {i}")).ref
        for i in range(2)
    }
    await submit(core, narrative="Нічого")
    assert await found(core, op, "черг") == standard
    assert await found(core, focal, "черг") == standard | hidden
    monkeypatch.setattr(worklist_module, "COUNT_CAP", 1)
    assert (await page(core, focal, query="черг")).total_capped
    assert await found(core, op, "черг") == standard
    assert await found(core, focal, "черг") == standard | hidden
    assert await found(core, focal, "черг паспорт") == hidden
    # Paged past the cap, in date order, without a gap or a repeat.
    seen: list[str] = []
    cursor = None
    while True:
        result = await page(core, focal, query="черг", limit=2, cursor=cursor)
        seen += [c.ref for c in result.items]
        if (cursor := result.next_cursor) is None:
            break
    assert sorted(seen) == sorted(standard | hidden) and len(seen) == 5


@pytest.mark.parametrize("probe_rows", [2000, 3])
async def test_capped_counts_are_exact_below_the_cap_and_capped_above_it(
    core: Core, people: dict[str, Actor], monkeypatch: pytest.MonkeyPatch, probe_rows: int
) -> None:
    """PostgreSQL counts in one of three shapes (the probe alone when it read every case,
    a scan stopping at the cap for a common match, the indexes gathering a rare one); whichever
    it takes, a count is exact up to the cap and capped above it. A probe of 3 cases
    makes the small table behave like a large one, so every shape is taken here."""
    op, focal = people["operator"], people["focal"]
    for _ in range(2):
        await submit(core, narrative="Зламаний генератор")
    for i in range(9):
        await submit(core, narrative=f"Черга номер {i}")
    await submit(core, category="trafficking", narrative="Черга і паспорт")
    async with core.database.transaction() as session:
        if core.database.engine.dialect.name == "postgresql":
            await session.execute(text("ANALYZE cases"))  # the table's size, as at scale
    monkeypatch.setattr(SearchRepository, "PROBE_ROWS", probe_rows)
    sent: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        sent.append(sql)

    event.listen(core.database.engine.sync_engine, "before_cursor_execute", record)
    try:
        for cap in (3, 100):
            monkeypatch.setattr(worklist_module, "COUNT_CAP", cap)
            for actor, flt, query, matches in (
                (op, CaseFilter(), "черг", 9),
                (focal, CaseFilter(), "черг", 10),
                (op, CaseFilter(), "генератор", 2),
                (op, CaseFilter(statuses=(Status.NEW,)), None, 11),
                (focal, CaseFilter(statuses=(Status.NEW,)), "номер", 9),
                (op, CaseFilter(statuses=(Status.CLOSED,)), "черг", 0),
            ):
                async with core.database.transaction() as session:
                    result = await Worklist(session, core).page(actor, flt, query=query)
                assert (result.total, result.total_capped) == (min(matches, cap), matches > cap)
    finally:
        event.remove(core.database.engine.sync_engine, "before_cursor_execute", record)
    if core.database.engine.dialect.name == "postgresql" and probe_rows == 3:
        counts = [s for s in sent if "count(*)" in s and "FILTER" not in s]  # not the probe
        walked = [s for s in counts if "ts_match_vq" in s]
        assert walked, "no count scanned with the match checked row by row"
        assert any("@@" in s for s in counts), "no count gathered"
