"""`holos stats rebuild`: cases stored before the daily counts existed (or around the
application) are counted once it has run, and the figures read from them are the ones
counted from the cases."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from storage.access import Actor
from storage.core import build_core
from storage.enums import ActorKind, Role
from storage.models import CaseDayCount, DayCountState
from storage.periods import Period, local_date
from storage.repositories.day_counts import DayCountRepository
from storage.repositories.filters import CaseFilter
from storage.services.intake import IntakeService
from storage.services.stats import StatsReport, StatsService
from storage.settings import load_settings
from tests.bot.helpers import run_cli
from tests.storage.helpers import report

FOCAL = Actor(ActorKind.SYSTEM, role=Role.FOCAL_POINT)


def test_rebuild_counts_what_was_stored_before(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "migrate") == 0

    async def store_as_before() -> None:
        core = build_core(load_settings())
        try:
            async with core.database.transaction() as session:
                for text in ("Черга на видачу", "Не вистачило продуктів"):
                    await IntakeService(session, core).submit(report(narrative=text))
                # As a database upgraded from before the daily counts has it.
                await session.execute(delete(CaseDayCount))
                await session.execute(delete(DayCountState))
        finally:
            await core.close()

    async def figures() -> tuple[bool, StatsReport, StatsReport]:
        core = build_core(load_settings())
        try:
            zone = ZoneInfo(core.settings.timezone)
            today = local_date(core.clock.now(), zone)
            period = Period(today - timedelta(days=30), today, zone)
            async with core.database.read_only() as session:
                built = await DayCountRepository(session).built(core.settings.timezone)
                days = await StatsService(session, core).report(
                    FOCAL, CaseFilter(), period, group_by="month", months=True
                )
                cases = await StatsService(session, core, use_days=False).report(
                    FOCAL, CaseFilter(), period, group_by="month", months=True
                )
            return built, days, cases
        finally:
            await core.close()

    asyncio.run(store_as_before())
    built, _days, cases = asyncio.run(figures())
    assert not built and cases.cases.received == 2
    capsys.readouterr()
    assert run_cli(monkeypatch, "stats", "rebuild") == 0
    assert capsys.readouterr().out.startswith("holos: daily counts rebuilt: 2 cases, 0 ratings")
    built, days, cases = asyncio.run(figures())
    assert built and days == cases and days.cases.received == 2
