"""`holos search reindex`: cases stored before search knew lemmas are found by them after
the command, which says how many it indexed and how fast."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import update

from storage.access import Actor
from storage.core import build_core
from storage.models import Case
from storage.repositories.filters import CaseFilter
from storage.services.intake import IntakeService
from storage.services.worklist import Worklist
from storage.settings import load_settings
from tests.bot.helpers import run_cli
from tests.storage.helpers import make_staff, report


def test_reindex_makes_old_cases_findable_by_lemma(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "migrate") == 0

    async def store_as_before() -> str:
        core = build_core(load_settings())
        try:
            async with core.database.transaction() as session:
                made = await IntakeService(session, core).submit(
                    report(narrative="Черга на видачу у Харкові")
                )
                await session.execute(
                    update(Case).values(lemmas=None).execution_options(synchronize_session=False)
                )
            return made.ref
        finally:
            await core.close()

    async def search(query: str) -> set[str]:
        core = build_core(load_settings())
        try:
            operator: Actor = await make_staff(core, f"op{len(query)}", "operator")
            async with core.database.transaction() as session:
                page = await Worklist(session, core).page(operator, CaseFilter(), query=query)
            return {c.ref for c in page.items}
        finally:
            await core.close()

    ref = asyncio.run(store_as_before())
    assert asyncio.run(search("Харків")) == set()
    capsys.readouterr()
    assert run_cli(monkeypatch, "search", "reindex") == 0
    out = capsys.readouterr().out
    assert out.startswith("holos: cases indexed: 1 (") and out.rstrip().endswith("/s)")
    assert asyncio.run(search("видача Харків")) == {ref}
