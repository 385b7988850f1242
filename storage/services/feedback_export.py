"""A feedback point's survey responses as a file: one row per response, a column per
question (issue 24), through the exports' pipeline (:mod:`storage.services.exports`:
the same writers, the same audit event, the same download).

A question's column is headed by its label in the file's language and holds the answer
as the reader calls it (a choice's label, a score, the words); a choice, yes/no or
scale question also has a column headed by the question's name (its code) holding the
choice's code or the score, for whoever joins the file to other data. Text answers
follow the rating comments' rule: only case workers (operators, focal points) get their
column.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import names
from storage.access import Actor
from storage.enums import Language
from storage.i18n import _
from storage.models import SurveyResponse
from storage.periods import month_key
from storage.repositories.feedback_results import FeedbackResultsRepository
from storage.services.exports import (
    BATCH,
    Column,
    Export,
    ExportFormat,
    ExportRequest,
    ExportService,
    Namer,
    Translator,
    _local,
)
from storage.services.feedback_points import FeedbackPointService
from storage.services.feedback_results import PointInfo
from storage.survey_results import YES_NO, language_of
from storage.surveys import Question, QuestionKind, Survey

YES_NO_NAMES: dict[str, str] = {"yes": _("Yes"), "no": _("No")}

FIXED_COLUMNS = (
    Column("id", _("Response"), 9),
    Column("point", _("Feedback point"), 24),
    Column("point_code", _("Feedback point code"), 10),
    Column("created_at", _("Answered (Kyiv time)"), 19),
    Column("month", _("Month"), 9),
    Column("programme", _("Programme"), 14),
    Column("programme_code", _("Programme code"), 12),
    Column("oblast", _("Oblast"), 18),
    Column("oblast_code", _("Oblast code"), 9),
    Column("language", _("Language"), 9),
    Column("language_code", _("Language code"), 6),
    Column("channel", _("Channel"), 10),
    Column("channel_code", _("Channel code"), 9),
)


def question_columns(survey: Survey, actor: Actor) -> list[tuple[Column, Question, bool]]:
    """Each asked question's columns: ``(column, question, is_code)``."""
    result: list[tuple[Column, Question, bool]] = []
    for q in survey.asked:
        if q.kind is QuestionKind.TEXT:
            if actor.can_see_cases:
                result.append((Column(f"q.{q.name}", q.name, 40, staff_only=True), q, False))
            continue
        result.append((Column(f"q.{q.name}", q.name, 24), q, False))
        result.append((Column(f"q.{q.name}.code", q.name, 12), q, True))
    return result


def answer_name(question: Question, code: str, language: Language, namer: Namer) -> str:
    """A choice's label in the file's language (yes and no in the reader's words)."""
    for choice in question.choices:
        if choice.name == code:
            return choice.labels.get(language) or choice.labels.get(Language.EN) or code
    if question.kind is QuestionKind.YES_NO and code in YES_NO:
        return namer.text(YES_NO_NAMES[code])
    return code


@dataclass(frozen=True)
class FeedbackExport(Export):
    """One point's responses, checked and recorded (:func:`start_feedback`)."""

    point: PointInfo | None = None
    survey: Survey = field(default_factory=Survey)
    questions: list[tuple[Column, Question, bool]] = field(default_factory=list)

    @property
    def title(self) -> str:
        period = self.request.period
        code = self.point.code if self.point else ""
        return f"{code} {period.first.isoformat()} {period.last.isoformat()}"

    @property
    def filename(self) -> str:
        period = self.request.period
        first, last = period.first.isoformat(), period.last.isoformat()
        code = self.point.code.lower() if self.point else "point"
        return f"holos-feedback-{code}-{first}-{last}.{self.format.value}"

    async def count(self) -> int:
        assert self.point is not None
        async with self.service.core.database.read_only() as session:
            counts = await FeedbackResultsRepository(session).response_counts(
                [self.point.id], self.request.period.start, self.request.period.end
            )
        return counts.get(self.point.id, 0)

    def rows(self) -> AsyncIterator[list[Any]]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[list[Any]]:
        assert self.point is not None
        period = self.request.period
        after: tuple[datetime, int] | None = None
        while True:
            async with self.service.core.database.read_only() as session:
                batch = await FeedbackResultsRepository(session).response_batch(
                    self.point.id, period.start, period.end, after=after, limit=BATCH
                )
                values = [self._values(r) for r in batch]
                last = (batch[-1].created_at, batch[-1].id) if batch else None
            for row in values:
                yield row
            if len(values) < BATCH or last is None:
                return
            after = last

    def _values(self, response: SurveyResponse) -> list[Any]:
        assert self.point is not None
        namer, zone = self.namer, self.request.period.zone
        language = language_of(self.request.lang)
        fixed = {
            "id": response.id,
            "point": self.point.name,
            "point_code": self.point.code,
            "created_at": _local(response.created_at, zone),
            "month": month_key(response.created_at, zone),
            "programme": namer.programme(self.point.programme),
            "programme_code": self.point.programme,
            "oblast": namer.oblast(self.point.oblast),
            "oblast_code": self.point.oblast,
            "language": namer.coded(names.LANGUAGE, str(response.language)),
            "language_code": str(response.language),
            "channel": namer.coded(names.CHANNEL, str(response.channel)),
            "channel_code": str(response.channel),
        }
        given = {a.question: a for a in response.answers}
        row: list[Any] = [fixed[c.key] for c in FIXED_COLUMNS]
        for _column, question, is_code in self.questions:
            answer = given.get(question.name)
            if answer is None:
                row.append(None)
            elif question.kind is QuestionKind.TEXT:
                row.append(answer.text)
            elif answer.number is not None:
                row.append(answer.number)
            elif is_code:
                row.append(answer.value)
            else:
                row.append(answer_name(question, answer.value or "", language, namer))
        return row


async def start_feedback(
    service: ExportService,
    session: AsyncSession,
    actor: Actor,
    request: ExportRequest,
    fmt: ExportFormat,
    translator: Translator,
) -> FeedbackExport:
    """Check the point (:class:`FeedbackPointNotFound`), record the export in
    ``session``'s transaction and fix the columns: the fixed ones titled in the
    reader's language, each question's by its label in it and by its code."""
    if request.point is None:
        raise ValueError("a feedback responses export names its point")
    point = await FeedbackPointService(session, service.core).get(request.point)
    survey = point.survey_definition or Survey()
    service.check(actor, request)
    service.record(session, actor, request, fmt.value)
    namer = Namer(service.core.catalog, request.lang, translator)
    language = language_of(request.lang)
    questions = question_columns(survey, actor)
    columns = [*FIXED_COLUMNS, *(c for c, _q, _code in questions)]
    header = [namer.text(c.title) for c in FIXED_COLUMNS] + [
        q.name if is_code else q.label(language) for _c, q, is_code in questions
    ]
    return FeedbackExport(
        service,
        actor,
        request,
        fmt,
        columns,
        header,
        namer,
        point=PointInfo.of(point),
        survey=survey,
        questions=questions,
    )
