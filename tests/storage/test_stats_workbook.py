"""The monthly accountability workbook, opened with openpyxl: sheets, figures against the
hand-computed seed, native charts, notes, suppression; and the two CLI commands."""

from __future__ import annotations

import asyncio
import csv
import gettext
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from locales.build import LOCALES_DIR
from storage.clock import FrozenClock
from storage.core import Core, build_core
from storage.migrate import migrate_url
from storage.services.monthly_report import MonthlyReport
from tests.config import TEST_SECRET, make_settings
from tests.storage.helpers import submit
from tests.storage.stats_seed import seed

SHEETS = [
    "Summary",
    "By category",
    "By oblast",
    "By programme",
    "By language",
    "By channel",
    "By outcome",
    "By referral target",
    "Satisfaction",
    "Feedback points",
    "Trend",
    "Notes",
]


def summary_rows(path: Path) -> dict[str, tuple[object, object]]:
    sheet = load_workbook(path)["Summary"]
    return {row[0]: (row[1], row[2]) for row in sheet.iter_rows(4, values_only=True)}


async def test_the_workbook_unsuppressed_against_the_seed(
    core: Core, clock: FrozenClock, tmp_path: Path
) -> None:
    await seed(core, clock)
    target = tmp_path / "november.xlsx"
    built = await MonthlyReport(core, suppressed=False).build(date(2026, 11, 1), target)
    assert built.sheets == SHEETS
    book = load_workbook(target)
    assert book.sheetnames == SHEETS
    summary = book["Summary"]
    assert [c.value for c in summary[3]] == ["Indicator", "2026-11", "2026-10", "Change"]
    rows = summary_rows(target)
    assert rows["Complaints and feedback received"] == (2, 3)  # B, E / C, G, A
    assert rows["Sensitive reports received"] == (1, 0)  # S
    assert rows["All cases received"] == (3, 3)
    assert rows["Share acknowledged within SLA"] == (0.5, 0.6667)  # E of B, E / G, A of 3
    assert rows["Open complaints and feedback"] == (2, 0)
    assert rows["Satisfaction ratings"] == (2, 2)
    assert rows["Mean satisfaction (1–5)"] == (3.5, 3.0)
    category = [r for r in book["By category"].iter_rows(2, values_only=True)]
    # The analyst's view: sensitive reports are a count of their own, in no breakdown.
    assert [(r[0], r[1]) for r in category] == [
        ("assistance_quality", 1),
        ("staff_conduct", 1),
        ("Total", 2),
    ]
    for name in SHEETS[1:6]:
        for row in book[name].iter_rows(values_only=True):
            assert "sensitive" not in row and "fraud_corruption" not in row
    # Every seeded report came through the bot; the sensitive one is in no channel's row.
    channel = [(r[0], r[1]) for r in book["By channel"].iter_rows(2, values_only=True)]
    assert channel == [("telegram", 2), ("Total", 2)]
    assert book["Satisfaction"]["A2"].value == 1
    assert book["Satisfaction"]["B6"].value == 1  # one 5 in November
    trend = list(book["Trend"].iter_rows(1, 13, values_only=True))
    assert trend[0][0] == "Month" and trend[0][-3:] == (
        "Complaints and feedback",
        "Sensitive reports",
        "All cases",
    )
    assert [r[0] for r in trend[1:]] == [f"2025-{m:02d}" for m in (12,)] + [
        f"2026-{m:02d}" for m in range(1, 12)
    ]
    assert trend[-2][-1] == 3 and trend[-1][-1] == 3  # October, November
    assert len(book["Satisfaction"]._charts) == 1
    assert len(book["Trend"]._charts) == 2
    notes = {r[0]: r[1] for r in book["Notes"].iter_rows(2, values_only=True)}
    assert "Suppression" in notes and "Kyiv" in notes["Period"]
    assert "Not for publication" in notes


async def test_the_workbook_withholds_small_counts(
    core: Core, clock: FrozenClock, tmp_path: Path
) -> None:
    await seed(core, clock)
    target = tmp_path / "november.xlsx"
    await MonthlyReport(core).build(date(2026, 11, 1), target)
    book = load_workbook(target)
    rows = summary_rows(target)
    assert rows["Complaints and feedback received"] == ("<5", "<5")
    assert rows["Sensitive reports received"] == ("<5", "<5")
    assert rows["All cases received"] == ("<5", "<5")
    assert rows["Open complaints and feedback"] == ("<5", "<5")
    assert rows["Share acknowledged within SLA"] == (None, None)  # over a withheld count
    assert rows["Satisfaction ratings"] == ("<5", "<5")
    assert rows["Mean satisfaction (1–5)"] == (None, None)
    for name in SHEETS[1:6]:
        for row in book[name].iter_rows(2, values_only=True):
            if isinstance(row[1], int):
                assert row[1] >= 5, (name, row)
    for row in book["Trend"].iter_rows(2, 13, values_only=True):
        for value in row[1:]:
            assert not isinstance(value, int) or value >= 5, row
    assert "Not for publication" not in [r[0] for r in book["Notes"].iter_rows(values_only=True)]


def test_the_commands_write_the_files_quietly_off_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'holos.db'}"

    async def prepare() -> None:
        await migrate_url(url)
        core = build_core(make_settings(tmp_path, url))
        try:
            for _ in range(3):
                await submit(core)
            await submit(core, category="trafficking")
        finally:
            await core.close()

    asyncio.run(prepare())
    monkeypatch.setenv("HOLOS_DATABASE_URL", url)
    monkeypatch.setenv("HOLOS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOLOS_SECRET_KEY", TEST_SECRET)
    monkeypatch.chdir(tmp_path)  # no developer's .env

    out = tmp_path / "cases.csv"
    assert main(["export", "--out", str(out), "--lang", "uk"]) == 0
    captured = capsys.readouterr()
    assert "wrote 3 cases" in captured.out
    assert "row/s" not in captured.err and "%" not in captured.err  # no bar off a terminal
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 3
    assert "Опис" not in rows[0]  # no narrative for the analyst's view
    # The analyst's view: the trafficking report is no row at all (issue 18).
    assert [r["Код категорії"] for r in rows] == ["assistance_quality"] * 3
    assert {r["Категорія"] for r in rows} == {"Якість або кількість допомоги"}

    assert main(["export", "--out", str(tmp_path / "x.pdf")]) != 0  # unknown format
    assert main(["export", "--category", "weather", "--out", str(out)]) == 1
    assert "Unknown category" in capsys.readouterr().err

    workbook = tmp_path / "month.xlsx"
    month = date.today().strftime("%Y-%m")
    assert main(["report", "monthly", "--month", month, "--out", str(workbook)]) == 0
    assert load_workbook(workbook).sheetnames == SHEETS
    args = ["report", "monthly", "--month", month, "--lang", "uk", "--out", str(workbook)]
    assert main(args) == 0
    assert load_workbook(workbook).sheetnames == UK_SHEETS
    assert main(["report", "monthly", "--month", "2026-13", "--out", str(workbook)]) == 1
    # Days and months at the ends of the calendar: refused with the parameter, not a crash.
    assert main(["report", "monthly", "--month", "9999-12", "--out", str(workbook)]) == 1
    assert main(["export", "--from", "0001-01-01", "--out", str(out)]) == 1
    assert main(["export", "--to", "9999-12-31", "--out", str(out)]) == 1
    assert "outside 2000-01-01" in capsys.readouterr().err


UK_SHEETS = [
    "Підсумок",
    "За категоріями",
    "За областями",
    "За програмами",
    "За мовами",
    "За каналами",
    "За результатами",
    "За партнерами, яким передано",
    "Задоволеність",
    "Пункти відгуків",
    "Динаміка",
    "Примітки",
]


async def test_the_workbook_in_ukrainian_has_the_same_figures(
    core: Core, clock: FrozenClock, tmp_path: Path
) -> None:
    """Issue 24: the workbook is made in Ukrainian or English; sheet names, headers,
    labels and notes are translated, and every figure is the same."""
    await seed(core, clock)
    english, ukrainian = tmp_path / "en.xlsx", tmp_path / "uk.xlsx"
    await MonthlyReport(core, suppressed=False).build(date(2026, 11, 1), english)
    uk = gettext.translation("messages", LOCALES_DIR, languages=["uk"])
    built = await MonthlyReport(core, suppressed=False, gettext=uk.gettext, language="uk").build(
        date(2026, 11, 1), ukrainian
    )
    assert built.sheets == UK_SHEETS
    book = load_workbook(ukrainian)
    assert book.sheetnames == UK_SHEETS
    summary = book["Підсумок"]
    assert summary["A1"].value == "Holos, щомісячна книга підзвітності: 2026-11"
    assert [c.value for c in summary[3]] == ["Показник", "2026-11", "2026-10", "Зміна"]
    rows = {row[0]: (row[1], row[2]) for row in summary.iter_rows(4, values_only=True)}
    assert rows["Отримано скарг і відгуків"] == (2, 3)
    assert rows["Середня задоволеність (1–5)"] == (3.5, 3.0)
    # Every figure and every cell that is no label are the same as in English.
    en_book = load_workbook(english)
    for en_name, uk_name in zip(SHEETS, UK_SHEETS, strict=True):
        en_cells = [list(r) for r in en_book[en_name].iter_rows(values_only=True)]
        uk_cells = [list(r) for r in book[uk_name].iter_rows(values_only=True)]
        assert len(en_cells) == len(uk_cells), en_name
        for en_row, uk_row in zip(en_cells, uk_cells, strict=True):
            numbers = [v for v in en_row if not isinstance(v, str)]
            assert numbers == [v for v in uk_row if not isinstance(v, str)], en_name
    # Categories and oblasts by name, as the exports name them.
    categories = {r[0] for r in book["За категоріями"].iter_rows(2, values_only=True)}
    assert {"Якість або кількість допомоги", "Поведінка працівників або партнерів"} <= categories
    oblasts = {r[0] for r in book["За областями"].iter_rows(2, values_only=True)}
    assert "Львівська область" in oblasts
    notes = [r[0] for r in book["Примітки"].iter_rows(2, values_only=True)]
    assert "Приховування малих чисел" in notes
    # No English label is left in the Ukrainian workbook.
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str) and len(value) > 3:
                    assert not re.fullmatch(r"[A-Z][A-Za-z ,.()–'-]+", value), (sheet.title, value)
    assert len(book["Динаміка"]._charts) == 2
