"""What the feedback points gathered (issue 24): per point and per question, for a
period of Kyiv calendar days and the points of a programme or an oblast.

Counting happens in SQL: from the daily counts once they are built (responses, answers,
the scales crossed with the demographic questions and the ratings at the points, per
day: :mod:`storage.day_counts`), else from the rows themselves
(:mod:`storage.repositories.feedback_results`, the same figures); the arithmetic
and the suppression of demographic crossings are :mod:`storage.survey_results`'. Text
answers follow the rating comments' rule (:mod:`storage.services.rating_list`): case
workers (operators, focal points) read them, other roles get their count. Every staff
role reads the figures (:mod:`storage.services.feedback_points` says who keeps points).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import Actor
from storage.core import Core
from storage.errors import PermissionDenied
from storage.models import FeedbackPoint
from storage.periods import Period, resolve_period
from storage.repositories.day_counts import DayCountRepository
from storage.repositories.feedback_results import FeedbackResultsRepository
from storage.services.feedback_points import FeedbackPointService
from storage.survey_results import PointFigures, Tally, point_figures, ratio
from storage.surveys import QuestionKind, Survey
from storage.tallies import Satisfaction, ScoreTally

# Text answers a page shows at most (newest first); their count is always exact.
MAX_TEXTS = 500


@dataclass(frozen=True)
class PointInfo:
    """A point as its results name it (plain values: they outlive the session)."""

    id: int
    code: str
    name: str
    programme: str
    oblast: str
    site: str | None
    active_from: date
    active_until: date | None
    served: int | None

    @classmethod
    def of(cls, point: FeedbackPoint) -> PointInfo:
        return cls(
            id=point.id,
            code=point.code,
            name=point.name,
            programme=point.programme,
            oblast=point.oblast,
            site=point.site,
            active_from=point.active_from,
            active_until=point.active_until,
            served=point.served,
        )

    def open_in(self, period: Period) -> bool:
        """Whether the point was open on some day of the period."""
        return self.active_from <= period.last and (
            self.active_until is None or self.active_until >= period.first
        )


@dataclass(frozen=True)
class PointResults:
    point: PointInfo
    survey: Survey | None
    responses: int
    figures: PointFigures | None  # None: the point asks no survey
    ratings: Satisfaction  # the satisfaction ratings given at the point
    texts_shown: bool

    @property
    def response_rate(self) -> float | None:
        """What the point asks (its survey, else a rating) answered, over the people it
        serves; None when it does not say how many."""
        if self.figures is not None:
            return self.figures.response_rate
        return ratio(self.ratings.count, self.point.served)


@dataclass(frozen=True)
class ResultsReport:
    period: Period
    programme: str | None
    oblast: str | None
    points: list[PointResults]


class FeedbackResultsService:
    def __init__(self, session: AsyncSession, core: Core) -> None:
        self.core = core
        self.session = session
        self.repo = FeedbackResultsRepository(session)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.core.settings.timezone)

    def period(self, first: date | None, last: date | None) -> Period:
        """The asked-for Kyiv days, as every M&E figure takes them (this month by default)."""
        return resolve_period(
            first,
            last,
            now=self.core.clock.now(),
            zone=self.zone,
            max_days=self.core.settings.stats_max_days,
        )

    @staticmethod
    def _may_read(actor: Actor) -> None:
        if actor.role is None:
            raise PermissionDenied("Only staff read the feedback points' results.")

    async def point(self, actor: Actor, code: str, period: Period) -> PointResults:
        """One point's results (:class:`FeedbackPointNotFound` for an unknown code)."""
        self._may_read(actor)
        point = await FeedbackPointService(self.session, self.core).get(code)
        (result,) = await self._results(actor, [point], period)
        return result

    async def report(
        self,
        actor: Actor,
        period: Period,
        *,
        programme: str | None = None,
        oblast: str | None = None,
    ) -> ResultsReport:
        """Every point of the programme and oblast open during the period."""
        self._may_read(actor)
        if programme is not None:
            programme = self.core.catalog.programme(programme).code
        if oblast is not None:
            oblast = self.core.catalog.oblast(oblast).code
        points = await FeedbackPointService(self.session, self.core).list(
            programme=programme, oblast=oblast
        )
        chosen = [p for p in points if PointInfo.of(p).open_in(period)]
        return ResultsReport(period, programme, oblast, await self._results(actor, chosen, period))

    def _tiebreak(self, code: str) -> Callable[[str], Callable[[str], bytes]]:
        """Equally small groups are pooled in an order a reader cannot compute."""

        def for_question(name: str) -> Callable[[str], bytes]:
            def order(key: str) -> bytes:
                data = f"{code}|{name}|{key}".encode()
                return self.core.crypto.sign(data, "feedback-pool")

            return order

        return for_question

    async def _count(
        self,
        ids: Sequence[int],
        period: Period,
        tallies: dict[int, Tally],
        demographic: Sequence[str],
        ratings: dict[int, ScoreTally],
    ) -> dict[int, int]:
        """Responses per point; the answers, their crossings with the ``demographic``
        questions into ``tallies``; the ratings given at the points into ``ratings``:
        from the daily counts once they are built (a year of a busy point reads a few
        thousand rows instead of every answer, each joined with the others of its
        response), else from the answers and ratings themselves. Both give the same
        figures."""
        days = DayCountRepository(self.session)
        responses: dict[int, int] = defaultdict(int)
        if await days.built(self.core.settings.timezone):
            first, last = period.first, period.last
            for point_id, question, value, count in await days.survey_counts(ids, first, last):
                if question is None:
                    responses[point_id] += int(count)
                elif value is None:
                    tallies[point_id].text_counts[question] = int(count)
                else:
                    tallies[point_id].count(question, value, int(count))
            crossed = await days.survey_crossings(ids, first, last, demographic)
            rated = await days.point_ratings(ids, first, last)
        else:
            start, end = period.start, period.end
            for point_id, question, value, number, is_text, count in await self.repo.answer_counts(
                ids, start, end
            ):
                if is_text:
                    tallies[point_id].text_counts[question] = int(count)
                    continue
                key = str(number) if number is not None else value
                if key is not None:
                    tallies[point_id].count(question, key, int(count))
            responses.update(await self.repo.response_counts(ids, start, end))
            crossed = await self.repo.crossed(ids, start, end, demographic)
            rated = await self.repo.rating_counts(ids, start, end)
        for point_id, question, by, group, score, count in crossed:
            tallies[point_id].cross(question, by, group, int(score), int(count))
        for point_id, score, count in rated:
            ratings[point_id].add(int(score), times=int(count))
        return responses

    async def _texts(
        self, surveys: dict[int, Survey | None], period: Period, tallies: dict[int, Tally]
    ) -> None:
        """The newest text answers of each point asking for words, at most
        :data:`MAX_TEXTS` per question (a point at a time: each reads its newest
        responses backwards, never the period's every answer)."""
        for point_id, survey in surveys.items():
            asked = 0 if survey is None else sum(q.kind is QuestionKind.TEXT for q in survey.asked)
            if not asked:
                continue
            for question, text in await self.repo.texts(
                point_id, period.start, period.end, limit=MAX_TEXTS * asked
            ):
                kept = tallies[point_id].texts.setdefault(question, [])
                if len(kept) < MAX_TEXTS:
                    kept.append(text)

    async def _results(
        self, actor: Actor, points: Sequence[FeedbackPoint], period: Period
    ) -> list[PointResults]:
        if not points:
            return []
        ids = [p.id for p in points]
        show_texts = actor.can_see_cases
        surveys = {p.id: p.survey_definition for p in points}
        demographic = sorted(
            {
                q.name
                for s in surveys.values()
                if s is not None
                for q in s.asked
                if q.demographic is not None
            }
        )
        tallies: dict[int, Tally] = defaultdict(Tally)
        ratings: dict[int, ScoreTally] = defaultdict(ScoreTally)
        responses = await self._count(ids, period, tallies, demographic, ratings)
        if show_texts:
            await self._texts(surveys, period, tallies)
        results = []
        for point in points:
            info = PointInfo.of(point)
            survey = surveys[point.id]
            answered = responses.get(point.id, 0)
            figures = (
                point_figures(
                    survey,
                    answered,
                    tallies[point.id],
                    served=info.served,
                    show_texts=show_texts,
                    tiebreak=self._tiebreak(info.code),
                )
                if survey is not None
                else None
            )
            results.append(
                PointResults(
                    point=info,
                    survey=survey,
                    responses=answered,
                    figures=figures,
                    ratings=(ratings.get(point.id) or ScoreTally()).result(),
                    texts_shown=show_texts,
                )
            )
        return results
