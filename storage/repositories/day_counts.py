"""The daily figures read, rebuilt and folded (tables of :mod:`storage.day_counts`).

A reader gets the same rows as :class:`storage.repositories.aggregates.AggregateRepository`
for a scope the days cover (:func:`covers`): the worklist's category, oblast,
programme, language and sensitivity filters over whole Kyiv days. Each figure is a
sum of ``n`` over the narrowest grain that holds every dimension the query reads;
groups whose rows cancel out (a case moved elsewhere) are left out, as a count of the
cases would never show them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Numeric,
    Text,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
)

from storage import breakdowns, day_counts
from storage.breakdowns import NONE_KEY, SENSITIVE_KEY, STANDARD_KEY, Keyed
from storage.enums import CLOCK_RUNNING, Status
from storage.models import (
    Case,
    CaseDayCount,
    CaseDayTime,
    DayCountState,
    Partner,
    Rating,
    RatingDayCount,
    SurveyAnswer,
    SurveyDayCount,
    SurveyDayCrossing,
    SurveyResponse,
)
from storage.periods import local_midnight, parse_month
from storage.repositories.aggregates import Keys, Scope, case_key
from storage.repositories.base import Repository
from storage.repositories.filters import CaseFilter, RatingFilter, overdue_condition

BATCH = 5000
# The tables of daily counts (each folded; the state keeps each one's last row folded).
DAY_TABLES = (CaseDayCount, CaseDayTime, RatingDayCount, SurveyDayCount, SurveyDayCrossing)
# The filters the days carry, by the dimension (and grain) holding them.
FILTERED = {
    "category": "categories",
    "oblast": "oblasts",
    "programme": "programmes",
    "language": "languages",
}
# A breakdown's column on the days' tables.
COLUMN_OF = {name: name for name in day_counts.CASE_DIMENSIONS}
COLUMN_OF["referral_target"] = "referral_target_id"


def covers(flt: CaseFilter) -> bool:
    """Whether the days can count ``flt``: nothing but the filters they carry."""
    return not (
        flt.statuses
        or flt.priorities
        or flt.tags
        or flt.refs
        or flt.search_terms
        or flt.blind_tokens
        or flt.unassigned
        or flt.assignee_id is not None
        or flt.overdue is not None
        or flt.viewer_id is not None
    )


def _grain(names: Iterable[str]) -> str:
    """The narrowest grain holding every dimension in ``names`` (month and sensitivity
    are in every one)."""
    needed = {COLUMN_OF[n] for n in names if n not in ("month", "sensitivity")}
    if not needed:
        return "channel"
    if len(needed) == 1:
        return next(iter(needed))
    return day_counts.ALL


def _filtered(flt: CaseFilter) -> list[str]:
    return [name for name, field in FILTERED.items() if getattr(flt, field)]


def _day_month(day: Any, months: Sequence[tuple[str, datetime]]) -> Any:
    """A day's month key, from the period's months (the first starts with the period)."""
    if len(months) == 1:
        return literal(months[0][0])
    # Month i + 1 begins on its first day: a day before it is in month i.
    whens = [(day < parse_month(months[i + 1][0]), months[i][0]) for i in range(len(months) - 1)]
    return case(*whens, else_=months[-1][0])


def _key(table: Any, name: str, keys: Keys) -> Any:
    dimension = breakdowns.get(name)
    if dimension.keyed is Keyed.MONTH:
        value = _day_month(table.day, keys.months)
    elif dimension.keyed is Keyed.FLAG:
        value = case((table.sensitive.is_(True), SENSITIVE_KEY), else_=STANDARD_KEY)
    elif name == "referral_target":
        partner = (
            select(Partner.name)
            .where(Partner.id == table.referral_target_id)
            .correlate(table)
            .scalar_subquery()
        )
        value = func.coalesce(partner, NONE_KEY)
    else:
        value = func.coalesce(cast(getattr(table, COLUMN_OF[name]), Text), NONE_KEY)
    if keys.sensitive_grouped and not dimension.crosses_sensitive:
        return case((table.sensitive.is_(True), SENSITIVE_KEY), else_=value)
    return value


def _first(count: int) -> list[Any]:
    """GROUP BY the first ``count`` columns, by position: a key computed with bound
    parameters (a month's bounds) is one expression to the database only so."""
    return [literal_column(str(i + 1)) for i in range(count)]


def _sum(condition: ColumnElement[bool], n: Any) -> Any:
    return func.sum(case((condition, n), else_=0))


class DayCountRepository(Repository):
    # State -----------------------------------------------------------------------------

    async def built(self, zone: str) -> bool:
        """Whether the days were built, in ``zone`` (or over an empty database)."""
        state = await self.session.get(DayCountState, 1)
        return state is not None and state.zone in (None, zone)

    # Reads -------------------------------------------------------------------------------

    def _conditions(self, table: Any, scope: Scope, grain: str) -> list[ColumnElement[bool]]:
        flt = scope.flt
        if flt.created_from is None or flt.created_to is None:
            raise ValueError("the days count whole periods only")
        conditions: list[ColumnElement[bool]] = [table.grain == grain]
        if not scope.may_see_sensitive:
            conditions.append(table.sensitive.is_(False))
        if flt.sensitive is not None:
            conditions.append(table.sensitive.is_(flt.sensitive))
        for name, field in FILTERED.items():
            values = getattr(flt, field)
            if values:
                conditions.append(
                    getattr(table, name).in_([getattr(v, "value", v) for v in values])
                )
        return conditions

    @staticmethod
    def _days(table: Any, first: date, last: date) -> list[ColumnElement[bool]]:
        return [table.day >= first, table.day <= last]

    async def case_counts(
        self, scope: Scope, by: Sequence[str], first: date, last: date, zone: ZoneInfo
    ) -> list[Any]:
        """As AggregateRepository.case_counts: ``(*keys, score, received, ack_met,
        ack_decided, res_met, res_decided, open, overdue)``."""
        t = CaseDayCount
        grain = _grain([*by, *_filtered(scope.flt)])
        now = scope.now
        today = now.astimezone(zone).date()
        keys = [_key(t, name, scope.keys) for name in by]
        n = t.n
        stmt = (
            select(
                *keys,
                t.handling_score,
                func.sum(n),
                _sum(t.ack_met.is_(True), n),
                _sum(or_(t.acked.is_(True), t.ack_flip < today), n),
                _sum(t.res_met.is_(True), n),
                _sum(or_(t.resolved.is_(True), t.res_flip < today), n),
                _sum(t.open.is_(True), n),
                _sum(t.over_flip < today, n),
            )
            .where(
                *self._conditions(t, scope, grain),
                *self._days(t, first, last),
                t.duplicate.is_(False),
            )
            .group_by(*_first(len(keys) + 1))
            .having(func.sum(n) != 0)
        )
        rows = {
            tuple(r[: len(by) + 1]): [int(x or 0) for x in r[len(by) + 1 :]]
            for r in (await self.session.execute(stmt)).all()
        }
        # Today's deadlines, counted from the cases: the flags they turned on before now.
        start = local_midnight(today, zone)
        ack_now = and_(Case.acknowledge_due_at >= start, Case.acknowledge_due_at < now)
        res_now = and_(Case.resolve_due_at >= start, Case.resolve_due_at < now)
        live = (
            select(
                *(case_key(name, scope.keys) for name in by),
                Case.handling_score,
                _sum(and_(Case.acknowledged_at.is_(None), ack_now), literal(1)),
                _sum(
                    and_(Case.resolved_at.is_(None), Case.status != Status.WAITING, res_now),
                    literal(1),
                ),
                _sum(
                    and_(
                        Case.status.in_(sorted(CLOCK_RUNNING)),
                        overdue_condition(now),
                        not_(overdue_condition(start)),
                    ),
                    literal(1),
                ),
            )
            .where(*self._case_conditions(scope), or_(ack_now, res_now))
            .group_by(*_first(len(by) + 1))
        )
        for r in (await self.session.execute(live)).all():
            key = tuple(r[: len(by) + 1])
            ad, rd, ov = (int(x or 0) for x in r[len(by) + 1 :])
            counts = rows.setdefault(key, [0] * 7)
            counts[2] += ad
            counts[4] += rd
            counts[6] += ov
        return [(*key, *counts) for key, counts in rows.items()]

    def _case_conditions(self, scope: Scope) -> list[ColumnElement[bool]]:
        from storage.repositories.filters import case_conditions

        return [
            *case_conditions(
                scope.flt,
                dialect=self.dialect,
                may_see_sensitive=scope.may_see_sensitive,
                now=scope.now,
            ),
            Case.duplicate_of_id.is_(None),
        ]

    async def received_counts(
        self, scope: Scope, by: Sequence[str], first: date, last: date
    ) -> list[Any]:
        """Cases per combination of the ``by`` keys: rows ``(*keys, count)``."""
        t = CaseDayCount
        grain = _grain([*by, *_filtered(scope.flt)])
        keys = [_key(t, name, scope.keys) for name in by]
        stmt = (
            select(*keys, func.sum(t.n))
            .where(
                *self._conditions(t, scope, grain),
                *self._days(t, first, last),
                t.duplicate.is_(False),
            )
            .group_by(*_first(len(keys)))
            .having(func.sum(t.n) != 0)
        )
        return list((await self.session.execute(stmt)).all())

    async def duplicate_count(self, scope: Scope, first: date, last: date) -> int:
        t = CaseDayCount
        grain = _grain(_filtered(scope.flt))
        stmt = select(func.sum(t.n)).where(
            *self._conditions(t, scope, grain), *self._days(t, first, last), t.duplicate.is_(True)
        )
        return int(await self.session.scalar(stmt) or 0)

    async def time_cells(
        self, scope: Scope, by: Sequence[str], first: date, last: date
    ) -> list[Any]:
        """Rows ``(*keys, kind, cell, count)``: how many times of each shown value."""
        t = CaseDayTime
        grain = _grain([*by, *_filtered(scope.flt)])
        keys = [_key(t, name, scope.keys) for name in by]
        stmt = (
            select(*keys, t.kind, t.cell, func.sum(t.n))
            .where(*self._conditions(t, scope, grain), *self._days(t, first, last))
            .group_by(*_first(len(keys) + 2))
            .having(func.sum(t.n) != 0)
        )
        return list((await self.session.execute(stmt)).all())

    async def exact_times(
        self, scope: Scope, by: Sequence[str], kind: str, cells: Iterable[float]
    ) -> list[Any]:
        """Rows ``(*keys, µs)`` of the cases whose time ``kind`` may show as one of
        ``cells`` (the caller keeps those that do): a median's two middle values."""
        from storage.repositories.aggregates import AggregateRepository

        micros = AggregateRepository(self.session)._micros(
            Case.acknowledged_at if kind == "ack" else Case.resolved_at, Case.created_at
        )
        ranges = [
            micros.between(int((c - 0.006) * 3_600_000_000), int((c + 0.006) * 3_600_000_000))
            for c in sorted(set(cells))
        ]
        done = Case.acknowledged_at if kind == "ack" else Case.resolved_at
        stmt = select(*(case_key(name, scope.keys) for name in by), micros).where(
            *self._case_conditions(scope), done.is_not(None), or_(*ranges)
        )
        return list((await self.session.execute(stmt)).all())

    async def rating_counts(
        self, flt: RatingFilter, keys: Keys, by: Sequence[str], first: date, last: date
    ) -> list[Any]:
        """Rows ``(*keys, score, reason or None, count)``: ratings per score (reason
        None) and, per score, how many gave each reason."""
        t = RatingDayCount
        names = {n for n in by if n != "month"}
        if flt.languages:
            names.add("language")
        if flt.programmes:
            names.add("programme")
        grain = "programme" if names <= {"programme"} else day_counts.ALL
        key_columns = []
        for name in by:
            if name == "month":
                key_columns.append(_day_month(t.day, keys.months))
            else:
                key_columns.append(func.coalesce(cast(getattr(t, name), Text), NONE_KEY))
        conditions: list[ColumnElement[bool]] = [t.grain == grain, *self._days(t, first, last)]
        for column, values in (
            (t.kind, flt.kinds),
            (t.programme, flt.programmes),
            (t.language, flt.languages),
            (t.score, flt.scores),
        ):
            if values:
                conditions.append(column.in_([getattr(v, "value", v) for v in values]))
        stmt = (
            select(*key_columns, t.score, t.reason, func.sum(t.n))
            .where(*conditions)
            .group_by(*_first(len(key_columns) + 2))
            .having(func.sum(t.n) != 0)
        )
        return list((await self.session.execute(stmt)).all())

    # Rebuild and fold ----------------------------------------------------------------------

    async def rebuild(self, zone: ZoneInfo, now: datetime) -> tuple[int, int]:
        """Count every case and rating anew (in the caller's transaction; on PostgreSQL
        writers of cases and ratings wait until it commits). Returns (cases, ratings)."""
        if self.dialect == "postgresql":
            await self.session.execute(text("LOCK TABLE cases, ratings IN SHARE MODE"))
        for model in (
            CaseDayCount,
            CaseDayTime,
            RatingDayCount,
            SurveyDayCount,
            SurveyDayCrossing,
            DayCountState,
        ):
            await self.session.execute(delete(model))
        await self._rebuild_surveys(zone)
        if self.dialect == "postgresql":
            return await self._rebuild_in_sql(zone, now)
        counts: Counter[tuple[Any, ...]] = Counter()
        times: Counter[tuple[Any, ...]] = Counter()
        cases = 0
        columns = [getattr(Case, name) for name in day_counts.CASE_COLUMNS]
        result = await self.session.stream(select(*columns).execution_options(yield_per=BATCH))
        async for row in result.mappings():
            cases += 1
            keys, spent = day_counts.case_rows(dict(row), zone)
            counts.update(keys)
            times.update(spent)
        ratings = 0
        rated: Counter[tuple[Any, ...]] = Counter()
        result = await self.session.stream(
            select(*(getattr(Rating, n) for n in day_counts.RATING_COLUMNS)).execution_options(
                yield_per=BATCH
            )
        )
        async for row in result.mappings():
            ratings += 1
            rated.update(day_counts.rating_rows(dict(row), zone))
        for model, names, found in (
            (CaseDayCount, day_counts.COUNT_KEY, counts),
            (CaseDayTime, day_counts.TIME_KEY, times),
            (RatingDayCount, day_counts.RATING_KEY, rated),
        ):
            await self._insert_all(model, names, found)
        self.session.add(
            DayCountState(id=1, zone=zone.key, built_at=now, folded=await self._tops())
        )
        await self.session.flush()
        return cases, ratings

    async def _rebuild_in_sql(self, zone: ZoneInfo, now: datetime) -> tuple[int, int]:
        """PostgreSQL: the same rows counted by the database (a million cases in about a
        minute): the "all" grain from the cases, each other grain from it. A time's cell
        is Python's ``round(hours, 2)`` in integers (the nearest hundredth of an hour);
        a time exactly half way between two (a whole multiple of 18 s off) is rounded
        by Python, as the writer does, since there the float decides."""
        name = zone.key

        def local(column: Any) -> Any:
            return cast(func.timezone(name, column), Date)

        open_ = Case.status.in_(sorted(day_counts.OPEN_VALUES))
        running = Case.status.in_(sorted(day_counts.RUNNING_VALUES))
        acked = Case.acknowledged_at.is_not(None)
        resolved = Case.resolved_at.is_not(None)
        flip = case(
            (
                Case.status == Status.NEW.value,
                func.least(Case.acknowledge_due_at, Case.resolve_due_at),
            ),
            else_=Case.resolve_due_at,
        )
        key = {
            "day": local(Case.created_at),
            "sensitive": Case.sensitive,
            "duplicate": Case.duplicate_of_id.is_not(None),
            **{n: getattr(Case, n) for n in day_counts.CASE_DIMENSIONS},
            "handling_score": Case.handling_score,
            "open": open_,
            "acked": acked,
            "ack_met": and_(acked, Case.acknowledged_at <= Case.acknowledge_due_at),
            "resolved": resolved,
            "res_met": and_(resolved, Case.resolved_at <= Case.resolve_due_at),
            "ack_flip": case((~acked, local(Case.acknowledge_due_at)), else_=None),
            "res_flip": case(
                (and_(~resolved, Case.status != Status.WAITING.value), local(Case.resolve_due_at)),
                else_=None,
            ),
            "over_flip": case((and_(open_, running), local(flip)), else_=None),
        }
        names = list(day_counts.COUNT_KEY)
        await self.session.execute(
            insert(CaseDayCount).from_select(
                ["grain", *names, "n"],
                select(literal(day_counts.ALL), *(key[n] for n in names), func.count()).group_by(
                    *_first(len(names) + 1)[1:]
                ),
            )
        )
        spent: Counter[tuple[Any, ...]] = Counter()
        from storage.repositories.aggregates import AggregateRepository

        for kind, done in (("ack", Case.acknowledged_at), ("res", Case.resolved_at)):
            micros = AggregateRepository(self.session)._micros(done, Case.created_at)
            tie = (micros - 18_000_000) % 36_000_000 == 0
            hundredths = func.floor(cast(micros + 18_000_000, Numeric) / 36_000_000)
            time_key = [
                local(Case.created_at),
                Case.sensitive,
                *(getattr(Case, n) for n in day_counts.CASE_DIMENSIONS),
            ]
            base = [done.is_not(None), Case.duplicate_of_id.is_(None)]
            await self.session.execute(
                insert(CaseDayTime).from_select(
                    ["grain", *day_counts.TIME_KEY, "n"],
                    select(
                        literal(day_counts.ALL),
                        *time_key,
                        literal(kind),
                        cast(hundredths, Float) / 100,
                        func.count(),
                    )
                    .where(*base, ~tie)
                    .group_by(*_first(len(time_key) + 3)[1:]),
                )
            )
            for row in (
                await self.session.execute(select(*time_key, micros).where(*base, tie))
            ).all():
                spent[(day_counts.ALL, *row[:-1], kind, day_counts.cell(int(row[-1])))] += 1
        await self._insert_all(CaseDayTime, day_counts.TIME_KEY, spent)
        for model, names_of in (
            (CaseDayCount, day_counts.COUNT_KEY),
            (CaseDayTime, day_counts.TIME_KEY),
        ):
            for grain in day_counts.CASE_GRAINS[1:]:
                columns = [
                    getattr(model, n)
                    if n not in day_counts.CASE_DIMENSIONS or n == grain
                    else literal(None, type_=getattr(model, n).type)
                    for n in names_of
                ]
                await self.session.execute(
                    insert(model).from_select(
                        ["grain", *names_of, "n"],
                        select(literal(grain), *columns, func.sum(model.n))
                        .where(model.grain == day_counts.ALL)
                        .group_by(*_first(len(columns) + 1)[1:])
                        .order_by(literal_column("2")),
                    )
                )
        await self.session.execute(
            text(
                "INSERT INTO rating_day_counts (grain, day, kind, programme, language, score, reason, n) "
                "SELECT 'all', (created_at AT TIME ZONE :zone)::date, kind, programme, language, "
                "score, NULL, count(*) FROM ratings GROUP BY 2, 3, 4, 5, 6 "
                "UNION ALL "
                "SELECT 'all', (created_at AT TIME ZONE :zone)::date, kind, programme, language, "
                "score, r.reason, count(*) FROM ratings, "
                "json_array_elements_text(ratings.reasons::json) AS r(reason) "
                "GROUP BY 2, 3, 4, 5, 6, 7"
            ),
            {"zone": name},
        )
        t = RatingDayCount
        await self.session.execute(
            insert(t).from_select(
                ["grain", *day_counts.RATING_KEY, "n"],
                select(
                    literal("programme"),
                    t.day,
                    t.kind,
                    t.programme,
                    literal(None, type_=t.language.type),
                    t.score,
                    t.reason,
                    literal(None, type_=t.point_id.type),
                    func.sum(t.n),
                )
                .where(t.grain == day_counts.ALL)
                .group_by(*_first(8)[1:]),
            )
        )
        at_point = Rating.feedback_point_id
        await self.session.execute(
            insert(t).from_select(
                ["grain", *day_counts.RATING_KEY, "n"],
                select(
                    literal(day_counts.POINT),
                    local(Rating.created_at),
                    Rating.kind,
                    literal(None, type_=t.programme.type),
                    literal(None, type_=t.language.type),
                    Rating.score,
                    literal(None, type_=t.reason.type),
                    at_point,
                    func.count(),
                )
                .where(at_point.is_not(None))
                .group_by(*_first(8)[1:]),
            )
        )
        self.session.add(DayCountState(id=1, zone=name, built_at=now, folded=await self._tops()))
        await self.session.flush()
        await self.analyze()
        cases = int(await self.session.scalar(select(func.count()).select_from(Case)) or 0)
        ratings = int(await self.session.scalar(select(func.count()).select_from(Rating)) or 0)
        return cases, ratings

    async def _rebuild_surveys(self, zone: ZoneInfo) -> None:
        """Survey responses, their answers and the answers' crossings (fewer than cases:
        counted in Python)."""
        found: Counter[tuple[Any, ...]] = Counter()
        crossed: Counter[tuple[Any, ...]] = Counter()
        responses = select(
            SurveyResponse.id,
            SurveyResponse.created_at,
            SurveyResponse.point_id,
            SurveyResponse.language,
            SurveyResponse.channel,
        ).order_by(SurveyResponse.id)
        answers: dict[int, list[dict[str, Any]]] = {}
        for row in (
            await self.session.execute(
                select(
                    SurveyAnswer.response_id,
                    SurveyAnswer.question,
                    SurveyAnswer.value,
                    SurveyAnswer.number,
                )
            )
        ).all():
            response_id, question, value, number = row
            answers.setdefault(response_id, []).append(
                {"question": question, "value": value, "number": number}
            )
        for stored in (await self.session.execute(responses)).mappings():
            response = dict(stored)
            given = answers.get(int(response["id"]), [])
            found.update(day_counts.survey_rows(response, given, zone))
            crossed.update(day_counts.crossing_rows(response, given, zone))
        for model, names, counted in (
            (SurveyDayCount, day_counts.SURVEY_KEY, found),
            (SurveyDayCrossing, day_counts.CROSSING_KEY, crossed),
        ):
            # A point's days together: a year of one point is read from few pages.
            rows = [
                {**dict(zip(names, key, strict=True)), "n": n}
                for key, n in sorted(counted.items(), key=_point_day)
                if n
            ]
            for at in range(0, len(rows), BATCH):
                await self.session.execute(insert(model), rows[at : at + BATCH])

    async def survey_crossings(
        self, point_ids: Sequence[int], first: date, last: date, demographic: Sequence[str]
    ) -> list[Any]:
        """As FeedbackResultsRepository.crossed: rows ``(point_id, question, by, group,
        score, answers)``, each scored answer per answer of the same response to a
        question named in ``demographic``."""
        if not demographic:
            return []
        t = SurveyDayCrossing
        keys = (t.point_id, t.question, t.by_question, t.by_value, t.score)
        stmt = (
            select(*keys, func.sum(t.n))
            .where(
                t.point_id.in_(list(point_ids)),
                *self._days(t, first, last),
                t.by_question.in_(list(demographic)),
            )
            .group_by(*keys)
            .having(func.sum(t.n) != 0)
        )
        return list((await self.session.execute(stmt)).all())

    async def point_ratings(self, point_ids: Sequence[int], first: date, last: date) -> list[Any]:
        """As FeedbackResultsRepository.rating_counts: rows ``(point_id, score, ratings)``
        of the ratings given at the points."""
        t = RatingDayCount
        stmt = (
            select(t.point_id, t.score, func.sum(t.n))
            .where(
                t.point_id.in_(list(point_ids)),
                t.grain == day_counts.POINT,
                *self._days(t, first, last),
            )
            .group_by(t.point_id, t.score)
            .having(func.sum(t.n) != 0)
        )
        return list((await self.session.execute(stmt)).all())

    async def survey_counts(self, point_ids: Sequence[int], first: date, last: date) -> list[Any]:
        """Rows ``(point_id, question, value, count)`` over the days ``first``..``last``:
        responses per point (question and value None), answers per question and value
        (value None: a free-text answer given)."""
        t = SurveyDayCount
        stmt = (
            select(t.point_id, t.question, t.value, func.sum(t.n))
            .where(t.point_id.in_(list(point_ids)), *self._days(t, first, last))
            .group_by(t.point_id, t.question, t.value)
            .having(func.sum(t.n) != 0)
        )
        return list((await self.session.execute(stmt)).all())

    async def _insert_all(
        self, model: Any, names: Sequence[str], found: Counter[tuple[Any, ...]]
    ) -> None:
        batch: list[dict[str, Any]] = []
        for key, n in found.items():
            if not n:
                continue
            batch.append({"grain": key[0], **dict(zip(names, key[1:], strict=True)), "n": n})
            if len(batch) == BATCH:
                await self.session.execute(insert(model), batch)
                batch = []
        if batch:
            await self.session.execute(insert(model), batch)

    async def _tops(self) -> dict[str, int]:
        """Each table's last row: everything up to it is folded (just built)."""
        tops = {}
        for model in DAY_TABLES:
            top = await self.session.scalar(select(func.max(model.id)))
            tops[model.__tablename__] = int(top or 0)
        return tops

    async def analyze(self) -> None:
        """Fresh planner statistics for the days' tables (PostgreSQL; autovacuum would
        take its time after a rebuild or a fold, and plans a year's read as one row)."""
        if self.dialect == "postgresql":
            for model in DAY_TABLES:
                await self.session.execute(text("ANALYZE " + model.__tablename__))

    async def fold(self) -> int:
        """Sum each key's delta rows into one (dropping keys that sum to nothing), on the
        days written since the last fold only (the state keeps each table's last row
        folded); returns how many rows were folded away. Safe beside writers: on
        PostgreSQL the rows are deleted and their sums inserted in one statement, over
        one snapshot; on SQLite the caller's transaction is the only writer."""
        state = await self.session.get(DayCountState, 1)
        if state is None:
            return 0
        marks = dict(state.folded or {})
        folded = 0
        for model, names in (
            (CaseDayCount, ("grain", *day_counts.COUNT_KEY)),
            (CaseDayTime, ("grain", *day_counts.TIME_KEY)),
            (RatingDayCount, ("grain", *day_counts.RATING_KEY)),
            (SurveyDayCount, day_counts.SURVEY_KEY),
            (SurveyDayCrossing, day_counts.CROSSING_KEY),
        ):
            table = model.__tablename__
            mark = int(marks.get(table, 0))
            top = int(await self.session.scalar(select(func.max(model.id))) or 0)
            if top <= mark:
                continue
            touched = select(model.day).where(model.id > mark, model.id <= top).distinct()
            scope = [model.day.in_(touched.scalar_subquery()), model.id <= top]
            order = ("grain", "day") if "grain" in names else ("point_id", "day")
            count = select(func.count()).select_from(model).where(model.id <= top)
            before = int(await self.session.scalar(count) or 0)
            columns = [getattr(model, name) for name in names]
            if self.dialect == "postgresql":
                gone = delete(model).where(*scope).returning(*columns, model.n).cte("gone")
                kept = [gone.c[name] for name in names]
                await self.session.execute(
                    insert(model).from_select(
                        [*names, "n"],
                        select(*kept, func.sum(gone.c.n))
                        .group_by(*kept)
                        .having(func.sum(gone.c.n) != 0)
                        # A grain's days together: a year is read from few pages.
                        .order_by(*(gone.c[n] for n in order)),
                    )
                )
            else:
                sums = (
                    await self.session.execute(
                        select(*columns, func.sum(model.n))
                        .where(*scope)
                        .group_by(*columns)
                        .having(func.sum(model.n) != 0)
                        .order_by(*(getattr(model, n) for n in order))
                    )
                ).all()
                await self.session.execute(delete(model).where(*scope))
                rows = [{**dict(zip(names, r[:-1], strict=True)), "n": int(r[-1])} for r in sums]
                for at in range(0, len(rows), BATCH):
                    await self.session.execute(insert(model), rows[at : at + BATCH])
            after = int(await self.session.scalar(count) or 0)
            folded += before - after
            # The sums just written are folded too.
            marks[table] = int(await self.session.scalar(select(func.max(model.id))) or 0)
        state.folded = marks
        await self.session.flush()
        await self.analyze()
        return folded


def _point_day(item: tuple[tuple[Any, ...], int]) -> tuple[int, date]:
    key = item[0]
    return (int(key[1]), key[0])  # (point_id, day): both keys begin with (day, point_id)


def day_after(day: date) -> date:
    return day + timedelta(days=1)
