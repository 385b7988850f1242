"""Exports of cases and ratings, one row each, as CSV or XLSX, no narratives for analysts.

One pipeline for every way out (the API's ``GET /export``, the console's download,
``holos export``): :meth:`ExportService.start` checks what the role may ask for, records
the audit event in the caller's transaction and fixes the columns and their titles; the
:class:`Export` it returns then reads and writes the rows. Rows are read in keyset
batches (:mod:`storage.repositories.exports`), each batch in its own short transaction,
and written out as they come: memory stays flat for a year of data. XLSX goes through
openpyxl's write-only mode into a temporary file (a zip cannot be sent before it is
finished), which is then sent in chunks.

What a role gets: every role gets the figures of each row; only case workers (operator,
focal point) get the assignee, tags, contact mode and, for standard cases, the
narrative. Sensitive narratives are never in a bulk export (each read of one is
audited, case by case, in the API). Rows of sensitive cases are exported only for focal
points: an analyst gets sensitive cases only counted, as one group
(:mod:`storage.disclosure`), never as rows that carry a minute, an oblast, a programme
and a language; operators and administrators never see sensitive cases at all.
"""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage import breakdowns, names
from storage.access import Actor
from storage.breakdowns import Dimension, Keyed
from storage.catalog import Catalog
from storage.core import Core
from storage.disclosure import Visibility, may_export_sensitive_rows, role_visibility
from storage.display import csv_text, plain, reveal, starts_formula
from storage.enums import AuditAction
from storage.errors import PermissionDenied, UnknownOblast, UnknownProgramme
from storage.i18n import InContext, _
from storage.models import Rating
from storage.periods import Period, month_key
from storage.repositories.exports import ExportRepository
from storage.repositories.filters import CaseFilter, RatingFilter
from storage.repositories.ratings import RatingRepository
from storage.repositories.search import SearchRepository
from storage.services.audit import AuditLog
from storage.services.stats import check_filter
from storage.sla import SlaClock

BATCH = 1000
CHUNK = 64 * 1024


class ExportKind(StrEnum):
    CASES = "cases"
    RATINGS = "ratings"
    # One feedback point's survey responses, a column per question
    # (storage.services.feedback_export, started with its start_feedback).
    FEEDBACK = "feedback_responses"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    key: str
    # An English msgid: storage speaks no language, so the edge that makes the file
    # (API route, console, command line) translates it with gettext (see :func:`headers`).
    title: str
    width: int  # characters, for XLSX (values arrive streamed, so widths are set ahead)
    staff_only: bool = False  # only for roles that work with cases

    @classmethod
    def of(cls, dimension: Dimension) -> Column:
        """A breakdown's column (storage.breakdowns): its name, title and width."""
        return cls(dimension.name, dimension.title, dimension.width)


# Every breakdown dimension is a column (tests/storage/test_breakdowns.py holds the
# export to it): its title, width and value come from storage.breakdowns. A coded column
# holds the code's name in the reader's language, and its code follows in a column of
# its own, for whoever joins the file to other data.
CASE_COLUMNS = (
    Column("ref", _("Reference"), 16),
    Column("received_at", _("Received (Kyiv time)"), 19),
    Column.of(breakdowns.MONTH),
    Column.of(breakdowns.CATEGORY),
    Column("category_code", _("Category code"), 20),
    Column.of(breakdowns.SENSITIVITY),
    Column("priority", _("Priority"), 9),
    Column("status", _("Status"), 13),
    Column("status_code", _("Status code"), 12),
    Column.of(breakdowns.OBLAST),
    Column("oblast_code", _("Oblast code"), 9),
    Column.of(breakdowns.PROGRAMME),
    Column("programme_code", _("Programme code"), 12),
    Column.of(breakdowns.LANGUAGE),
    Column("language_code", _("Language code"), 6),
    Column.of(breakdowns.CHANNEL),
    Column("channel_code", _("Channel code"), 9),
    Column.of(breakdowns.OUTCOME),
    Column("outcome_code", _("Outcome code"), 12),
    Column.of(breakdowns.REFERRAL_TARGET),
    Column("duplicate_of", _("Duplicate of"), 16),
    Column("acknowledge_due_at", _("Acknowledge by"), 19),
    Column("acknowledged_at", _("Acknowledged"), 19),
    Column("acknowledge_sla", _("Acknowledgement SLA"), 12),
    Column("resolve_due_at", _("Resolve by"), 19),
    Column("resolved_at", _("Resolved"), 19),
    Column("resolve_sla", _("Resolution SLA"), 12),
    Column("closed_at", _("Closed"), 19),
    Column("handling_score", _("Handling score"), 9),
    Column("assignee_id", _("Assignee"), 9, staff_only=True),
    Column("tags", _("Tags"), 20, staff_only=True),
    Column("contact_mode", _("Contact"), 10, staff_only=True),
    Column("narrative", _("Narrative"), 60, staff_only=True),
)

RATING_COLUMNS = (
    Column("id", _("Id"), 8),
    Column("kind", _("Kind"), 11),
    Column("kind_code", _("Kind code"), 10),
    Column("created_at", _("Given (Kyiv time)"), 19),
    Column("month", _("Month"), 9),
    Column("programme", _("Programme"), 14),
    Column("programme_code", _("Programme code"), 12),
    Column("score", _("Score"), 6),
    Column("reasons", _("What went wrong"), 24),
    Column("reason_codes", _("What went wrong: codes"), 20),
    Column("language", _("Language"), 9),
    Column("language_code", _("Language code"), 6),
    Column("channel", _("Channel"), 10),
    Column("channel_code", _("Channel code"), 9),
    Column("comment", _("Comment"), 60, staff_only=True),
)


class Translator(Protocol):
    """What the edge hands over to speak the reader's language: gettext's translations
    (the API, the command line) or a console page's texts."""

    def gettext(self, message: str, /) -> str: ...

    def pgettext(self, context: str, message: str, /) -> object: ...


@dataclass(frozen=True)
class Namer:
    """Codes as the reader calls them: catalog names (oblast, programme) in the
    reader's language, the other codes through :mod:`storage.names` and gettext."""

    catalog: Catalog
    language: str
    translator: Translator

    def text(self, message: str | InContext) -> str:
        if isinstance(message, InContext):
            return str(self.translator.pgettext(message.context, message.message))
        return str(self.translator.gettext(message))

    def coded(self, names_of: dict[str, str | InContext], code: str | None) -> str | None:
        if code is None:
            return None
        message = names_of.get(str(code))
        return self.text(message) if message is not None else str(code)

    def oblast(self, code: str | None) -> str | None:
        if code is None:
            return None
        try:
            return self.catalog.oblast(code).name(self.language)
        except UnknownOblast:
            return code

    def programme(self, code: str | None) -> str | None:
        if code is None:
            return None
        try:
            return self.catalog.programme(code).name(self.language)
        except UnknownProgramme:
            return code


@dataclass(frozen=True)
class ExportRequest:
    kind: ExportKind
    period: Period
    cases: CaseFilter = field(default_factory=CaseFilter)
    ratings: RatingFilter = field(default_factory=RatingFilter)
    lang: str = "en"
    point: str | None = None  # the feedback point's code (ExportKind.FEEDBACK)


def headers(columns: list[Column], gettext: Callable[[str], str]) -> list[str]:
    """The column titles in the language of ``gettext``."""
    return [gettext(c.title) for c in columns]


def columns_for(kind: ExportKind, actor: Actor) -> list[Column]:
    chosen = CASE_COLUMNS if kind is ExportKind.CASES else RATING_COLUMNS
    return [c for c in chosen if actor.can_see_cases or not c.staff_only]


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Kyiv wall-clock time without an offset: what Excel can hold as a real date."""
    return value.astimezone(zone).replace(tzinfo=None) if value is not None else None


@dataclass(frozen=True)
class Export:
    """One export, checked and recorded (:meth:`ExportService.start`): its columns, their
    titles in the reader's language, and the rows, read when they are written."""

    service: ExportService
    actor: Actor
    request: ExportRequest
    format: ExportFormat
    columns: list[Column]
    header: list[str]
    namer: Namer

    @property
    def title(self) -> str:
        """The XLSX sheet's name: the kind and the period (at most 31 characters)."""
        period = self.request.period
        return f"{self.request.kind.value} {period.first.isoformat()} {period.last.isoformat()}"

    @property
    def filename(self) -> str:
        period, kind = self.request.period, self.request.kind
        first, last = period.first.isoformat(), period.last.isoformat()
        return f"holos-{kind.value}-{first}-{last}.{self.format.value}"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    async def count(self) -> int:
        return await self.service.count(self.actor, self.request)

    def rows(self) -> AsyncIterator[list[Any]]:
        return self.service.rows(self.actor, self.request, self.namer)

    def chunks(self, rows: AsyncIterator[list[Any]] | None = None) -> AsyncIterator[bytes]:
        """The file in pieces, to stream (``rows``: :meth:`rows`, or a wrapper of it)."""
        rows = self.rows() if rows is None else rows
        if self.format is ExportFormat.CSV:
            return csv_chunks(self.header, rows)
        return xlsx_chunks(self.columns, self.header, rows, title=self.title)

    async def write(self, target: Path, rows: AsyncIterator[list[Any]] | None = None) -> None:
        """The file at ``target`` (XLSX written in place, not copied from a temporary)."""
        rows = self.rows() if rows is None else rows
        if self.format is ExportFormat.XLSX:
            await write_xlsx(target, self.columns, self.header, rows, title=self.title)
            return
        with target.open("wb") as handle:
            async for chunk in csv_chunks(self.header, rows):
                handle.write(chunk)


class ExportService:
    def __init__(self, core: Core) -> None:
        self.core = core

    def start(
        self,
        session: AsyncSession,
        actor: Actor,
        request: ExportRequest,
        fmt: ExportFormat,
        translator: Translator,
    ) -> Export:
        """Check what ``actor`` asks for (nothing is read before), record the export in
        ``session``'s transaction, and fix its columns with titles in ``translator``'s
        language (``request.lang``), which also names the codes in the rows. The rows
        are read when the returned export is written."""
        if request.kind is ExportKind.FEEDBACK:
            raise ValueError("feedback responses: storage.services.feedback_export starts them")
        self.check(actor, request)
        self.record(session, actor, request, fmt.value)
        columns = columns_for(request.kind, actor)
        namer = Namer(self.core.catalog, request.lang, translator)
        return Export(self, actor, request, fmt, columns, headers(columns, namer.text), namer)

    def record(self, session: AsyncSession, actor: Actor, request: ExportRequest, fmt: str) -> None:
        """One audit event per export: who took which rows out, never the rows."""
        filters = {
            k: (list(v) if isinstance(v, tuple | list) else v)
            for k, v in {**request.cases.__dict__, **request.ratings.__dict__}.items()
            if v not in (None, (), [], False) and k not in {"created_from", "created_to"}
        }
        if request.point is not None:
            filters["point"] = request.point
        AuditLog(session, self.core.clock).record(
            actor,
            AuditAction.EXPORT_CREATED,
            target=f"export:{request.kind.value}",
            after={
                "format": fmt,
                "from": request.period.first.isoformat(),
                "to": request.period.last.isoformat(),
                "filters": {
                    k: str(v) if not isinstance(v, list) else v for k, v in filters.items()
                },
            },
        )

    def record_monthly(self, session: AsyncSession, actor: Actor, first_day: date) -> None:
        """The monthly workbook taken from the console: audited like any export."""
        AuditLog(session, self.core.clock).record(
            actor,
            AuditAction.EXPORT_CREATED,
            target="export:monthly",
            after={"format": "xlsx", "month": first_day.strftime("%Y-%m")},
        )

    def check(self, actor: Actor, request: ExportRequest) -> None:
        """Refuse what the role may not ask for, before anything is streamed."""
        check_filter(actor, request.cases, self.core.catalog, None, self.core.clock.now())
        seen = role_visibility(actor)
        asks = request.kind is ExportKind.CASES and request.cases.sensitive
        if asks and seen is Visibility.GROUPED:
            raise PermissionDenied(
                "sensitive: analysts get sensitive reports only counted, as one group "
                "(GET /api/v1/stats?sensitive=true), never as rows."
            )

    def _case_filter(self, actor: Actor, request: ExportRequest) -> tuple[CaseFilter, bool]:
        """The filter over the period, and whether sensitive cases are rows of it."""
        flt = replace(
            request.cases, created_from=request.period.start, created_to=request.period.end
        )
        with_sensitive = may_export_sensitive_rows(role_visibility(actor))
        if with_sensitive:
            flt = replace(flt, viewer_id=actor.user_id)
        return flt, with_sensitive

    def _rating_filter(self, request: ExportRequest) -> RatingFilter:
        return replace(
            request.ratings, created_from=request.period.start, created_to=request.period.end
        )

    async def count(self, actor: Actor, request: ExportRequest) -> int:
        async with self.core.database.read_only() as session:
            if request.kind is ExportKind.RATINGS:
                return await RatingRepository(session).count(self._rating_filter(request))
            flt, with_sensitive = self._case_filter(actor, request)
            return await SearchRepository(session).count(
                flt, may_see_sensitive=with_sensitive, now=self.core.clock.now()
            )

    async def rows(
        self, actor: Actor, request: ExportRequest, namer: Namer
    ) -> AsyncIterator[list[Any]]:
        """Each row's values in :func:`columns_for` order, oldest first, codes named by
        ``namer``."""
        keys = [c.key for c in columns_for(request.kind, actor)]
        zone = request.period.zone
        after: tuple[datetime, int] | None = None
        while True:
            async with self.core.database.read_only() as session:
                if request.kind is ExportKind.RATINGS:
                    ratings = await RatingRepository(session).page(
                        self._rating_filter(request), after=after, limit=BATCH
                    )
                    values = [self._rating_values(r, zone, namer) for r in ratings]
                    # Read now: leaving the scope expires the rows.
                    last = (ratings[-1].created_at, ratings[-1].id) if ratings else None
                else:
                    flt, with_sensitive = self._case_filter(actor, request)
                    repo = ExportRepository(session)
                    cases = await repo.case_batch(
                        flt,
                        may_see_sensitive=with_sensitive,
                        now=self.core.clock.now(),
                        after=after,
                        limit=BATCH,
                    )
                    tags = await repo.tags_of([c.id for c in cases]) if actor.can_see_cases else {}
                    values = [self._case_values(c, tags, zone, namer) for c in cases]
                    last = (cases[-1].created_at, cases[-1].id) if cases else None
            for item_values in values:
                yield [item_values[k] for k in keys]
            if len(values) < BATCH or last is None:
                return
            after = last

    def _rating_values(self, rating: Rating, zone: ZoneInfo, namer: Namer) -> dict[str, Any]:
        reasons = [str(r) for r in rating.reasons or []]
        return {
            "id": rating.id,
            "kind": namer.coded(names.RATING_KIND, rating.kind),
            "kind_code": _code(rating.kind),
            "created_at": _local(rating.created_at, zone),
            "month": month_key(rating.created_at, zone),
            "programme": namer.programme(rating.programme),
            "programme_code": rating.programme,
            "score": rating.score,
            "reasons": "; ".join(namer.coded(names.REASON, r) or r for r in reasons),
            "reason_codes": ";".join(reasons),
            "language": namer.coded(names.LANGUAGE, rating.language),
            "language_code": _code(rating.language),
            "channel": namer.coded(names.CHANNEL, rating.channel),
            "channel_code": _code(rating.channel),
            "comment": rating.comment,
        }

    def _case_values(
        self, case: Any, tags: dict[int, list[str]], zone: ZoneInfo, namer: Namer
    ) -> dict[str, Any]:
        now = self.core.clock.now()
        codes = {d.name: _dimension_value(d, case, zone) for d in breakdowns.DIMENSIONS}
        return {
            **codes,
            "category": namer.coded(names.CATEGORY, codes["category"]),
            "category_code": codes["category"],
            "oblast": namer.oblast(codes["oblast"]),
            "oblast_code": codes["oblast"],
            "programme": namer.programme(codes["programme"]),
            "programme_code": codes["programme"],
            "language": namer.coded(names.LANGUAGE, codes["language"]),
            "language_code": codes["language"],
            "channel": namer.coded(names.CHANNEL, codes["channel"]),
            "channel_code": codes["channel"],
            "outcome": namer.coded(names.OUTCOME, codes["outcome"]),
            "outcome_code": codes["outcome"],
            "ref": case.ref,
            "received_at": _local(case.created_at, zone),
            "priority": namer.coded(names.PRIORITY, _code(case.priority)),
            "status": namer.coded(names.STATUS, _code(case.status)),
            "status_code": _code(case.status),
            "acknowledge_due_at": _local(case.acknowledge_due_at, zone),
            "acknowledged_at": _local(case.acknowledged_at, zone),
            "acknowledge_sla": namer.coded(
                names.SLA, SlaClock.of(case.acknowledge_due_at, case.acknowledged_at, now).state
            ),
            "resolve_due_at": _local(case.resolve_due_at, zone),
            "resolved_at": _local(case.resolved_at, zone),
            "resolve_sla": namer.coded(
                names.SLA, SlaClock.of(case.resolve_due_at, case.resolved_at, now).state
            ),
            "closed_at": _local(case.closed_at, zone),
            "duplicate_of": case.duplicate_of,
            "handling_score": case.handling_score,
            "assignee_id": case.assignee_id,
            "tags": ";".join(tags.get(case.id, [])),
            "contact_mode": namer.coded(names.CONTACT_MODE, _code(case.contact_mode)),
            # Sensitive narratives are encrypted and never leave in bulk.
            "narrative": None if case.sensitive else case.narrative,
        }


def _code(value: Any) -> str | None:
    """An enum's or a column's code as plain text (empty stays empty)."""
    return None if value is None else str(value)


def _dimension_value(dimension: Dimension, case: Any, zone: ZoneInfo) -> Any:
    """A case's value in a breakdown's export column: its Kyiv month, whether it is
    sensitive, or the value itself as text (empty stays empty)."""
    value = getattr(case, dimension.column.key)
    if dimension.keyed is Keyed.MONTH:
        return month_key(value, zone)
    if dimension.keyed is Keyed.FLAG:
        return bool(value)
    return None if value is None else str(value)


# Writers ------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if isinstance(value, str):
        # Most cells need nothing: one regex search decides (storage.display).
        return value if plain(value) else csv_text(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def xlsx_value(sheet: Any, value: Any) -> Any:
    """A value for an openpyxl sheet: text revealed (:mod:`storage.display`) and always
    a string cell, flagged so that Excel keeps it text even when edited; anything else
    as it is. Every XLSX this service and the monthly workbook write goes through here."""
    if not isinstance(value, str) or plain(value):
        return value  # openpyxl writes such text as a string already
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=reveal(value))
    as_text(cell)
    return cell


def as_text(cell: Any) -> None:
    """Make a string cell a string: openpyxl would write ``=…`` as a formula and
    ``#N/A`` as an error value."""
    if isinstance(cell.value, str) and (cell.data_type != "s" or starts_formula(cell.value)):
        cell.data_type = "s"
        cell.quotePrefix = True


async def csv_chunks(header: list[str], rows: AsyncIterator[list[Any]]) -> AsyncIterator[bytes]:
    """CSV in UTF-8 with a byte-order mark (so Excel reads Cyrillic), in ~64 KB pieces."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([_csv_value(h) for h in header])
    async for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


async def write_xlsx(
    target: Path,
    columns: list[Column],
    header: list[str],
    rows: AsyncIterator[list[Any]],
    *,
    title: str,
    on_rows: Any = None,
) -> int:
    """Write a one-sheet workbook: frozen header row, widths, autofilter, real dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, (column, name) in enumerate(zip(columns, header, strict=True), start=1):
        width = max(column.width, len(name) + 2)
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=reveal(name))
        as_text(cell)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    count = 0
    pending: list[list[Any]] = []

    def flush(batch: list[list[Any]]) -> None:
        for values in batch:
            sheet.append([xlsx_value(sheet, v) for v in values])

    async for row in rows:
        pending.append(row)
        if len(pending) >= BATCH:
            await asyncio.to_thread(flush, pending)
            count += len(pending)
            if on_rows is not None:
                on_rows(len(pending))
            pending = []
    await asyncio.to_thread(flush, pending)
    count += len(pending)
    if on_rows is not None and pending:
        on_rows(len(pending))
    sheet.auto_filter.ref = f"A1:{_column_letter(len(columns))}{count + 1}"
    await asyncio.to_thread(workbook.save, str(target))
    return count


async def xlsx_chunks(
    columns: list[Column], header: list[str], rows: AsyncIterator[list[Any]], *, title: str
) -> AsyncIterator[bytes]:
    with tempfile.TemporaryDirectory(prefix="holos-export-") as folder:
        path = Path(folder) / "export.xlsx"
        await write_xlsx(path, columns, header, rows, title=title)
        for chunk in _read_chunks(path):
            yield chunk


def _read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
