"""``holos report monthly`` and ``holos export``: the M&E unit's files from the command
line. The CLI acts as an analyst: sensitive reports are one group and no
narrative or comment is written; each export is an audit event like the API's.

``holos export`` shows a progress bar on a terminal (tqdm) and stays quiet otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import gettext
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

from tqdm import tqdm

from locales.build import LOCALES_DIR, compile_catalogs
from storage.access import Actor
from storage.core import Core, build_core
from storage.enums import ActorKind, Role
from storage.errors import InvalidInput
from storage.periods import parse_month
from storage.repositories.filters import CaseFilter, RatingFilter
from storage.services.exports import ExportFormat, ExportKind, ExportRequest, ExportService
from storage.services.monthly_report import MonthlyReport
from storage.services.stats import StatsService
from storage.settings import Settings

ANALYST = Actor(ActorKind.SYSTEM, username="holos-cli", role=Role.ANALYST)


def add_commands(sub: Any) -> None:
    report = sub.add_parser("report", help="M&E reports").add_subparsers(metavar="report")
    monthly = report.add_parser("monthly", help="the monthly accountability workbook (XLSX)")
    monthly.add_argument("--month", required=True, help="the month, e.g. 2026-11 (Kyiv time)")
    monthly.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")
    monthly.add_argument(
        "--no-suppression",
        action="store_true",
        help="keep counts below 5 (internal use only; never publish such a workbook)",
    )
    monthly.add_argument(
        "--lang", choices=["en", "uk"], default="en", help="the workbook's language"
    )
    monthly.set_defaults(handler=monthly_command)

    export = sub.add_parser("export", help="export cases or ratings as CSV or XLSX")
    export.add_argument("--kind", choices=[k.value for k in ExportKind], default="cases")
    export.add_argument(
        "--format",
        choices=[f.value for f in ExportFormat],
        default=None,
        help="default: from the file name's extension",
    )
    export.add_argument(
        "--from",
        dest="first",
        type=date.fromisoformat,
        default=None,
        help="first day, YYYY-MM-DD, Kyiv time",
    )
    export.add_argument(
        "--to", dest="last", type=date.fromisoformat, default=None, help="last day, included"
    )
    export.add_argument(
        "--lang",
        choices=["en", "uk"],
        default="en",
        help="language of the headers and of the names",
    )
    for name in ("status", "category", "oblast", "programme", "language"):
        export.add_argument(f"--{name}", action="append", default=[], help="repeat for any of")
    export.add_argument("--out", required=True, type=Path)
    export.set_defaults(handler=export_command)


def header_language(lang: str) -> gettext.NullTranslations:
    """The export's column titles are msgids in storage; they are translated here."""
    compile_catalogs()
    return gettext.translation("messages", LOCALES_DIR, languages=[lang], fallback=True)


def _run(settings: Settings, work: Any) -> int:
    async def runner() -> int:
        core = build_core(settings)
        try:
            return int(await work(core))
        finally:
            await core.close()

    return asyncio.run(runner())


def monthly_command(settings: Settings, args: argparse.Namespace) -> int:
    first_day = parse_month(args.month)

    async def work(core: Core) -> int:
        report = MonthlyReport(
            core,
            suppressed=not args.no_suppression,
            gettext=header_language(args.lang).gettext,
            language=args.lang,
        )
        built = await report.build(first_day, args.out)
        print(f"holos: wrote {built.path} ({built.month}: {', '.join(built.sheets)})")
        return 0

    return _run(settings, work)


def export_command(settings: Settings, args: argparse.Namespace) -> int:
    name = args.format or args.out.suffix.lstrip(".").lower() or "csv"
    if name not in set(ExportFormat):
        raise InvalidInput(f"--format: {name!r} is not csv or xlsx.")
    fmt = ExportFormat(name)
    kind = ExportKind(args.kind)

    async def work(core: Core) -> int:
        catalog = core.catalog
        for code in args.category:
            catalog.category(code)
        for code in args.oblast:
            catalog.oblast(code)
        for code in args.programme:
            catalog.programme(code)
        language = header_language(args.lang)
        async with core.database.transaction() as session:
            period = StatsService(session, core).period(args.first, args.last)
            request = ExportRequest(
                kind=kind,
                period=period,
                cases=CaseFilter(
                    statuses=args.status,
                    categories=args.category,
                    oblasts=args.oblast,
                    programmes=args.programme,
                    languages=args.language,
                ),
                ratings=RatingFilter(programmes=args.programme, languages=args.language),
                lang=args.lang,
            )
            export = ExportService(core).start(session, ANALYST, request, fmt, language)
        total = await export.count()
        # disable=None: a bar on a terminal, nothing when output is redirected.
        with tqdm(total=total, unit="row", disable=None, file=sys.stderr) as bar:
            await export.write(args.out, _counted(export.rows(), bar))
        print(f"holos: wrote {total} {kind.value} to {args.out}")
        return 0

    return _run(settings, work)


async def _counted(rows: AsyncIterator[list[Any]], bar: tqdm[Any]) -> AsyncIterator[list[Any]]:
    async for row in rows:
        bar.update(1)
        yield row
