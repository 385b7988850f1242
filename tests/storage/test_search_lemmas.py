"""Issue 22 §1: search by lemma in Ukrainian and Russian, by stem in English, on both
engines, for narratives, additions, files' text and the sealed channel's blind index;
old cases re-indexed by :func:`storage.services.search_index.reindex`."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from storage.access import Actor
from storage.core import Core
from storage.enums import AttachmentKind, Language
from storage.lemmas import index_text, lemmas
from storage.models import Attachment, Case, CaseAddition, CaseSearchToken
from storage.repositories.cases import CaseRepository
from storage.repositories.filters import CaseFilter
from storage.repositories.retention import RetentionRepository
from storage.search import terms
from storage.services.attachments import AttachmentService
from storage.services.intake import IntakeService
from storage.services.search_index import reindex, reindex_all
from storage.services.triage import TriageService
from storage.services.worklist import Worklist
from tests.storage.helpers import make_staff, submit
from tgemu import samples


async def found(core: Core, actor: Actor, query: str) -> set[str]:
    async with core.database.transaction() as session:
        page = await Worklist(session, core).page(actor, CaseFilter(), query=query, limit=200)
    return {c.ref for c in page.items}


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


# The analyser alone ---------------------------------------------------------------------


def test_inflected_forms_share_a_lemma_in_each_language() -> None:
    assert "харків" in lemmas("харкові") & lemmas("харкова") & lemmas("харків")
    assert "видача" in lemmas("видачі") & lemmas("видачу")
    assert "выдача" in lemmas("выдачи") & lemmas("выдачу")
    assert "харьков" in lemmas("харькове")
    assert lemmas("distributed") == lemmas("distribution") == {"distribut"}
    # Ukrainian keeps its apostrophe for the dictionary, and the lemma is one token.
    assert "обовязок" in lemmas("обов'язку") & lemmas("обов’язок")
    assert lemmas("2024") == frozenset()


def test_a_texts_lemmas_leave_out_its_own_words() -> None:
    stored = index_text("Видача у Харкові") or ""
    assert set(stored.split()) >= {"харків"}
    assert "видача" not in stored.split()  # already indexed as the word itself
    assert index_text("") is None and index_text(None) is None
    # Apostrophes and operators in a query are words, not syntax.
    assert terms('обов\'язку "OR" харків*') == ["обов'язку", "or", "харків"]


# Standard text -----------------------------------------------------------------------------


async def test_an_inflected_place_name_and_noun_find_each_other(
    core: Core, people: dict[str, Actor]
) -> None:
    op = people["operator"]
    kharkiv_loc = await submit(core, narrative="Черга на видачу у Харкові дуже довга")
    kharkiv_gen = await submit(core, narrative="Мешканці Харкова без води")
    kharkiv = await submit(core, narrative="Харків, пункт видачі закрито")
    kyiv = await submit(core, narrative="Київ: все гаразд")
    assert await found(core, op, "Харків") == {kharkiv_loc.ref, kharkiv_gen.ref, kharkiv.ref}
    assert await found(core, op, "харкові") == {kharkiv_loc.ref, kharkiv_gen.ref, kharkiv.ref}
    assert await found(core, op, "видача") == {kharkiv_loc.ref, kharkiv.ref}
    assert await found(core, op, "видача Харків") == {kharkiv_loc.ref, kharkiv.ref}
    assert await found(core, op, "видача вода") == set()
    # Prefixes still work as before.
    assert await found(core, op, "Харк") == {kharkiv_loc.ref, kharkiv_gen.ref, kharkiv.ref}
    assert await found(core, op, "Одеса") == set()
    assert await found(core, op, "києві") == {kyiv.ref}


async def test_russian_and_english_inflections_and_mixed_text(
    core: Core, people: dict[str, Actor]
) -> None:
    op = people["operator"]
    ru = await submit(core, narrative="В Харькове нет выдачи помощи", language=Language.RU)
    en = await submit(core, narrative="The distribution point was closed", language=Language.EN)
    mixed = await submit(core, narrative="Допомога не дійшла, помощь обещали")
    assert await found(core, op, "выдача") == {ru.ref}
    assert await found(core, op, "Харьков") == {ru.ref}
    assert await found(core, op, "помощи") == {ru.ref, mixed.ref}
    assert await found(core, op, "допомоги") == {mixed.ref}
    assert await found(core, op, "distributed") == {en.ref}
    assert await found(core, op, "closing") == {en.ref}


async def test_additions_and_files_are_found_by_lemma(core: Core, people: dict[str, Actor]) -> None:
    op = people["operator"]
    later = await submit(core, narrative="Перше повідомлення")
    await add_info(core, later.ref, op, "Генератори у лікарні не працюють")
    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT,
        mime_type="application/pdf",
        data=samples.pdf("Warehouses were flooded"),
    )
    with_file = await submit(core, narrative="Скан додано", attachments=[staged])
    assert await found(core, op, "генератор лікарня") == {later.ref}
    assert await found(core, op, "warehouse flood") == {with_file.ref}
    async with core.database.transaction() as session:
        stored = (await session.scalars(select(CaseAddition.lemmas))).all()
        files = (await session.scalars(select(Attachment.lemmas))).all()
    assert stored and "генератор" in (stored[0] or "").split()
    assert files and "flood" in (files[0] or "").split()


# The sealed channel ------------------------------------------------------------------------


async def test_sensitive_text_is_found_by_lemma_through_the_blind_index_only(
    core: Core, people: dict[str, Actor]
) -> None:
    focal, op = people["focal"], people["operator"]
    bribe = await submit(
        core, category="fraud_corruption", narrative="У Харкові вимагали хабара за видачу"
    )
    await add_info(core, bribe.ref, focal, "Потім погрожували")
    assert await found(core, focal, "Харків") == {bribe.ref}
    assert await found(core, focal, "хабар видача") == {bribe.ref}
    assert await found(core, focal, "погрожувати") == {bribe.ref}
    assert await found(core, focal, "хабар вода") == set()
    assert await found(core, op, "Харків") == set()
    async with core.database.transaction() as session:
        case = await CaseRepository(session).get_by_ref(bribe.ref)
        assert case is not None
        # A sealed text has no plain lemmas anywhere: only keyed hashes.
        plain = (
            await session.execute(select(Case.lemmas, Case.narrative).where(Case.id == case.id))
        ).one()
        additions = (await session.scalars(select(CaseAddition.lemmas))).all()
        tokens = (await session.scalars(select(CaseSearchToken.token))).all()
    assert tuple(plain) == (None, None)
    assert additions == [None]
    dump = " ".join(tokens)
    assert "харків" not in dump and "хабар" not in dump
    assert all(len(t) == 32 for t in tokens)


# Re-indexing -------------------------------------------------------------------------------


async def forget_lemmas(core: Core) -> None:
    """As stored before search knew lemmas (migration 0015 on a big database)."""
    async with core.database.transaction() as session:
        for model in (Case, CaseAddition, Attachment):
            await session.execute(
                update(model).values(lemmas=None).execution_options(synchronize_session=False)
            )
        await session.execute(CaseSearchToken.__table__.delete())


async def test_old_cases_are_found_by_lemma_once_reindexed(
    core: Core, people: dict[str, Actor]
) -> None:
    focal = people["focal"]
    standard = await submit(core, narrative="Пункт видачі в Харкові")
    await add_info(core, standard.ref, focal, "Генератори зламані")
    sealed = await submit(core, category="fraud_corruption", narrative="Хабар у Харкові")
    await forget_lemmas(core)
    assert await found(core, focal, "Харків") == set()
    assert await found(core, focal, "харкові") == {standard.ref}  # the word itself still is
    async with core.database.transaction() as session:
        assert await reindex(session, core) == 2
    assert await found(core, focal, "Харків") == {standard.ref, sealed.ref}
    assert await found(core, focal, "генератор") == {standard.ref}
    # Nothing changed: nothing is written again.
    async with core.database.transaction() as session:
        before = (await session.scalars(select(Case.version).order_by(Case.id))).all()
        assert await reindex(session, core) == 2
        after = (await session.scalars(select(Case.version).order_by(Case.id))).all()
    assert before == after  # re-indexing is no staff edit: no open form goes stale


async def test_the_whole_database_is_reindexed_batch_by_batch_with_progress(
    core: Core, people: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.services.search_index as search_index

    monkeypatch.setattr(search_index, "BATCH", 2)
    made = [(await submit(core, narrative=f"Видачі {i} у Харкові")).ref for i in range(5)]
    await forget_lemmas(core)
    seen: list[tuple[int, int]] = []
    assert await reindex_all(core, progress=lambda done, total: seen.append((done, total))) == 5
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert await found(core, people["operator"], "видача Харків") == set(made)


async def test_purged_text_takes_its_lemmas_along(core: Core, people: dict[str, Actor]) -> None:
    case = await submit(core, narrative="Видачі у Харкові")
    async with core.database.transaction() as session:
        row = await CaseRepository(session).get_by_ref(case.ref)
        assert row is not None
        await RetentionRepository(session).clear_narratives([row.id], core.clock.now())
    async with core.database.transaction() as session:
        assert (await session.scalar(select(Case.lemmas).where(Case.id == row.id))) is None
    assert await found(core, people["operator"], "Харків") == set()
