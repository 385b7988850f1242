"""The daily figures (tables ``case_day_counts``, ``case_day_times``, ``rating_day_counts``,
``survey_day_counts``, ``survey_day_crossings``): what a case, a rating or a survey
answer adds to them, kept by the writer in the same transaction.

Every insert or update of a case, and every insert of a rating, however it is made
through the ORM (a service, a test, a future path), appends delta rows in the flush
that writes it: ``-1`` under the case's old key and ``+1`` under its new one, per grain.
Rows are only ever appended (never updated in place), so two writers never wait on the
same row; the scheduler folds them (:func:`storage.repositories.day_counts`), and a
figure is the sum of ``n`` over its rows either way. Cases and ratings are never deleted
(retention empties a case's content, which no figure reads, with a bulk UPDATE that
does not pass here); a bulk write that bypasses the ORM (the bench's seeder) is
followed by ``holos stats rebuild``.

A case's key is what the figures read of it, made independent of the clock: flags
that turn on by themselves (an acknowledgement deadline passing, a case becoming
overdue) are stored as the Kyiv day they do so; a reader counts those before today
from the rows and today's from the cases themselves (few, by the deadline indexes).

Times to acknowledge and resolve are stored as the figures show them: hours as
:mod:`storage.tallies` computes them, rounded to two places (``cell``), counted. A
median of an odd count, and a 90th percentile, is the cell of the value at its rank;
a median of an even count is the cell of the two middle values when they share it
(their mean rounds into the same cell), and otherwise the two values themselves are
read from the cases (few: those of two cells). The same answer as the row-by-row
computation, to the bit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, event, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, attributes, object_session

from storage.enums import CLOCK_RUNNING, OPEN_STATUSES, Status
from storage.models import (
    Case,
    CaseDayCount,
    CaseDayTime,
    Rating,
    RatingDayCount,
    SurveyAnswer,
    SurveyDayCount,
    SurveyDayCrossing,
    SurveyResponse,
)

Key = tuple[Any, ...]

# The session's info key holding the time zone days are counted in (storage.db).
ZONE_INFO = "holos_day_zone"
DEFAULT_ZONE = "Europe/Kyiv"

# The dimensions a case row carries (storage.breakdowns' columns; the referral target by
# its partner's id), and the grains: "all" keeps every one; each other keeps its own.
CASE_DIMENSIONS = (
    "category",
    "oblast",
    "programme",
    "language",
    "channel",
    "outcome",
    "referral_target_id",
)
ALL = "all"
CASE_GRAINS = (ALL, *CASE_DIMENSIONS)
# Ratings: every dimension, or the programme alone; and those given at a feedback
# point, by the point ("point": no programme, language or reason).
RATING_GRAINS = (ALL, "programme")
POINT = "point"
RATING_DIMENSIONS = ("programme", "language")
# What a rating's figures read of it (columns of ``ratings``).
RATING_COLUMNS = ("created_at", "kind", "score", "reasons", *RATING_DIMENSIONS, "feedback_point_id")

# What a case's figures read of it (columns of ``cases``).
CASE_COLUMNS = (
    "created_at",
    "sensitive",
    "duplicate_of_id",
    "status",
    "acknowledge_due_at",
    "acknowledged_at",
    "resolve_due_at",
    "resolved_at",
    "handling_score",
    *CASE_DIMENSIONS,
)
OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)
RUNNING_VALUES = frozenset(s.value for s in CLOCK_RUNNING)

# Column order of a counts key (after the grain), and of a times key.
COUNT_KEY = (
    "day",
    "sensitive",
    "duplicate",
    *CASE_DIMENSIONS,
    "handling_score",
    "open",
    "acked",
    "ack_met",
    "resolved",
    "res_met",
    "ack_flip",
    "res_flip",
    "over_flip",
)
TIME_KEY = ("day", "sensitive", *CASE_DIMENSIONS, "kind", "cell")
RATING_KEY = ("day", "kind", *RATING_DIMENSIONS, "score", "reason", "point_id")
SURVEY_KEY = ("day", "point_id", "language", "channel", "question", "value")
CROSSING_KEY = ("day", "point_id", "question", "score", "by_question", "by_value")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value if hasattr(value, "value") else value)


def micros(later: datetime, earlier: datetime) -> int:
    delta = later - earlier
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def hours(value: int) -> float:
    """Whole microseconds as the figures' hours (storage.tallies.CaseTally.add_micros)."""
    return int(value) / 1_000_000 / 3600


def cell(value: int) -> float:
    """The hours the figures show for a time of ``value`` microseconds."""
    return round(hours(value), 2)


def case_rows(values: Mapping[str, Any], zone: ZoneInfo) -> tuple[list[Key], list[Key]]:
    """A case's counts keys and times keys, one per grain (``(grain, *key)``)."""
    created: datetime = values["created_at"]
    day = created.astimezone(zone).date()
    status = _text(values["status"])
    ack_due: datetime = values["acknowledge_due_at"]
    res_due: datetime = values["resolve_due_at"]
    acked_at: datetime | None = values["acknowledged_at"]
    resolved_at: datetime | None = values["resolved_at"]
    acked = acked_at is not None
    resolved = resolved_at is not None
    is_open = status in OPEN_VALUES

    def local(instant: datetime) -> date:
        return instant.astimezone(zone).date()

    ack_flip = None if acked else local(ack_due)
    res_flip = None if resolved or status == Status.WAITING.value else local(res_due)
    over_flip = None
    if is_open and status in RUNNING_VALUES:
        over_flip = local(min(ack_due, res_due) if status == Status.NEW.value else res_due)
    dims = {
        name: (values[name] if name == "referral_target_id" else _text(values[name]))
        for name in CASE_DIMENSIONS
    }
    sensitive = bool(values["sensitive"])
    duplicate = values["duplicate_of_id"] is not None
    flags = (
        values["handling_score"],
        is_open,
        acked,
        acked_at is not None and acked_at <= ack_due,
        resolved,
        resolved_at is not None and resolved_at <= res_due,
        ack_flip,
        res_flip,
        over_flip,
    )
    counts: list[Key] = []
    times: list[Key] = []
    spent = []
    if not duplicate:
        if acked_at is not None:
            spent.append(("ack", cell(micros(acked_at, created))))
        if resolved_at is not None:
            spent.append(("res", cell(micros(resolved_at, created))))
    for grain in CASE_GRAINS:
        kept = tuple(dims[name] if grain in (ALL, name) else None for name in CASE_DIMENSIONS)
        counts.append((grain, day, sensitive, duplicate, *kept, *flags))
        for kind, value in spent:
            times.append((grain, day, sensitive, *kept, kind, value))
    return counts, times


def rating_rows(values: Mapping[str, Any], zone: ZoneInfo) -> list[Key]:
    """A rating's keys (``(grain, *key)``): one without a reason, one per reason given;
    given at a feedback point, one more of the point's grain."""
    day = values["created_at"].astimezone(zone).date()
    kind = _text(values["kind"])
    score = int(values["score"])
    dims = {name: _text(values[name]) for name in RATING_DIMENSIONS}
    rows = []
    for grain in RATING_GRAINS:
        kept = tuple(dims[n] if grain in (ALL, n) else None for n in RATING_DIMENSIONS)
        for reason in (None, *(values["reasons"] or ())):
            rows.append((grain, day, kind, *kept, score, reason, None))
    point = values["feedback_point_id"]
    if point is not None:
        blank = (None,) * len(RATING_DIMENSIONS)
        rows.append((POINT, day, kind, *blank, score, None, int(point)))
    return rows


def survey_rows(
    response: Mapping[str, Any], answers: Iterable[Mapping[str, Any]], zone: ZoneInfo
) -> list[Key]:
    """A survey response's keys: the response (question None), and each answer by its
    value (None for a free-text answer: counted, never by its words)."""
    base = (
        response["created_at"].astimezone(zone).date(),
        int(response["point_id"]),
        _text(response["language"]),
        _text(response["channel"]),
    )
    rows: list[Key] = [(*base, None, None)]
    for answer in answers:
        rows.append((*base, answer["question"], answer["value"]))
    return rows


def _crosses(scored: Mapping[str, Any], chosen: Mapping[str, Any]) -> bool:
    """Whether an answer's score is crossed with another answer's choice: the first is
    scored (``number``), the second a choice or yes/no (a value, no number): what a
    demographic question always is (storage.surveys.check_survey)."""
    return scored["number"] is not None and chosen["number"] is None and chosen["value"] is not None


def crossing_rows(
    response: Mapping[str, Any], answers: Iterable[Mapping[str, Any]], zone: ZoneInfo
) -> list[Key]:
    """A survey response's crossings: each scored answer with each choice answered in
    the same response (``(day, point_id, question, score, by_question, by_value)``)."""
    given = list(answers)
    return [
        row
        for i, scored in enumerate(given)
        for j, chosen in enumerate(given)
        if i != j
        for row in crossing_pair(response, scored, chosen, zone)
    ]


def crossing_pair(
    response: Mapping[str, Any],
    scored: Mapping[str, Any],
    chosen: Mapping[str, Any],
    zone: ZoneInfo,
) -> list[Key]:
    """The crossing of two answers of one response, if they cross (else nothing)."""
    if not _crosses(scored, chosen):
        return []
    day = response["created_at"].astimezone(zone).date()
    return [
        (
            day,
            int(response["point_id"]),
            scored["question"],
            int(scored["number"]),
            chosen["question"],
            chosen["value"],
        )
    ]


def _insert_plain(
    connection: Connection, model: Any, names: tuple[str, ...], deltas: Counter[Key]
) -> None:
    rows = [{**dict(zip(names, key, strict=True)), "n": n} for key, n in deltas.items() if n]
    if rows:
        connection.execute(insert(model), rows)


def _insert(
    connection: Connection, model: Any, names: tuple[str, ...], deltas: Counter[Key]
) -> None:
    rows = [
        {"grain": key[0], **dict(zip(names, key[1:], strict=True)), "n": n}
        for key, n in deltas.items()
        if n
    ]
    if rows:
        connection.execute(insert(model), rows)


def write_case_delta(
    connection: Connection,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    zone: ZoneInfo,
) -> None:
    counts: Counter[Key] = Counter()
    times: Counter[Key] = Counter()
    for values, sign in ((old, -1), (new, 1)):
        if values is None:
            continue
        keys, spent = case_rows(values, zone)
        for key in keys:
            counts[key] += sign
        for key in spent:
            times[key] += sign
    _insert(connection, CaseDayCount, COUNT_KEY, counts)
    _insert(connection, CaseDayTime, TIME_KEY, times)


def write_rating_delta(connection: Connection, values: Mapping[str, Any], zone: ZoneInfo) -> None:
    _insert(connection, RatingDayCount, RATING_KEY, Counter(rating_rows(values, zone)))


# The writer's side: mapper events, in the flush that writes the row -----------------------


def _zone(target: Any) -> ZoneInfo:
    session = object_session(target)
    name = session.info.get(ZONE_INFO, DEFAULT_ZONE) if session is not None else DEFAULT_ZONE
    return ZoneInfo(name)


def _values(target: Any, names: Iterable[str]) -> dict[str, Any]:
    state = attributes.instance_state(target)
    return {name: state.dict.get(name) for name in names}


def _after_case_insert(_mapper: Mapper[Any], connection: Connection, target: Case) -> None:
    write_case_delta(connection, None, _values(target, CASE_COLUMNS), _zone(target))


def _before_case_update(_mapper: Mapper[Any], connection: Connection, target: Case) -> None:
    state = attributes.instance_state(target)
    if not any(
        attributes.get_history(target, name).has_changes()
        for name in CASE_COLUMNS
        if name in state.dict
    ):
        return
    # The row as stored (this flush has not written it yet): the old key, exactly.
    row = (
        connection.execute(
            select(*(getattr(Case, name) for name in CASE_COLUMNS)).where(Case.id == target.id)
        )
        .mappings()
        .one()
    )
    old = dict(row)
    new = {name: state.dict.get(name, old[name]) for name in CASE_COLUMNS}
    write_case_delta(connection, old, new, _zone(target))


def _after_rating_insert(_mapper: Mapper[Any], connection: Connection, target: Rating) -> None:
    write_rating_delta(connection, _values(target, RATING_COLUMNS), _zone(target))


RESPONSE_COLUMNS = ("created_at", "point_id", "language", "channel")


def _after_response_insert(
    _mapper: Mapper[Any], connection: Connection, target: SurveyResponse
) -> None:
    rows = survey_rows(_values(target, RESPONSE_COLUMNS), [], _zone(target))
    _insert_plain(connection, SurveyDayCount, SURVEY_KEY, Counter(rows))


def _after_answer_insert(
    _mapper: Mapper[Any], connection: Connection, target: SurveyAnswer
) -> None:
    response = attributes.instance_state(target).dict.get("response")
    if response is not None:
        values = _values(response, RESPONSE_COLUMNS)
    else:  # written by its response's id alone: read the response (already inserted)
        values = dict(
            connection.execute(
                select(*(getattr(SurveyResponse, n) for n in RESPONSE_COLUMNS)).where(
                    SurveyResponse.id == target.response_id
                )
            )
            .mappings()
            .one()
        )
    zone = _zone(target)
    answer = {"question": target.question, "value": target.value, "number": target.number}
    rows = survey_rows(values, [answer], zone)[1:]
    _insert_plain(connection, SurveyDayCount, SURVEY_KEY, Counter(rows))
    # Its crossings with the response's answers stored before it (a lower id: those of
    # this flush are written already), so that each pair is counted once, by the later
    # of its two answers, whichever flush wrote them.
    scored = answer["number"] is not None
    if not scored and answer["value"] is None:
        return  # words: crossed with nothing
    a = SurveyAnswer
    partners = and_(a.number.is_(None), a.value.is_not(None)) if scored else a.number.is_not(None)
    earlier = connection.execute(
        select(a.question, a.value, a.number).where(
            a.response_id == target.response_id, a.id < target.id, partners
        )
    ).mappings()
    crossed: Counter[Key] = Counter()
    for row in earlier:
        other = dict(row)
        crossed.update(crossing_pair(values, answer, other, zone))
        crossed.update(crossing_pair(values, other, answer, zone))
    _insert_plain(connection, SurveyDayCrossing, CROSSING_KEY, crossed)


event.listen(SurveyResponse, "after_insert", _after_response_insert)
event.listen(SurveyAnswer, "after_insert", _after_answer_insert)
event.listen(Case, "after_insert", _after_case_insert)
event.listen(Case, "before_update", _before_case_update)
event.listen(Rating, "after_insert", _after_rating_insert)
