"""The arithmetic of a feedback point's results: pure functions over a survey
(:mod:`storage.surveys`) and its answer rows, no I/O (the service,
:mod:`storage.services.feedback_results`, reads the rows and hands them here).

Definitions (the console's results page and the monthly workbook's notes repeat them):

- *Responses*: the surveys answered at the point in the period (a response is counted
  once, however many of its questions were answered). *Answered*: the responses that
  answered a question (a skipped text or a question not asked because of an earlier
  answer is no answer).
- *Distribution*: how many answered each choice (each score for a scale question).
- *Mean*: of a scale question's scores, to two decimals.
- *Satisfied*: a score of 4 or 5 on a 1–5 scale, as for ratings (:mod:`storage.tallies`);
  its share is over the question's answers. A scale of another range has no share.
- *Response rate*: responses over the people the point says it serves.
- *Demographics* (sex, age group, disability): every figure crossed with them is
  published only for groups of 5 or more (:data:`storage.suppression.THRESHOLD`): a
  group below 5 is pooled with the smallest other group (:func:`storage.suppression.pool`),
  and when no group reaches 5 the whole crossing is withheld; a mean only over a
  published count, a share only over 10 or more, to whole percent. A demographic
  question's own distribution is a crossing too.
- *Text answers*: read by case workers (operators, focal points), as rating comments
  are (:mod:`storage.services.rating_list`); other roles get their count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from storage import suppression
from storage.surveys import SCALE_MAX, SCALE_MIN, Question, QuestionKind, Survey
from storage.tallies import SATISFIED


@dataclass(frozen=True)
class Answer:
    """One stored answer: a choice's code (``value``), a score (``number``) or words."""

    response_id: int
    question: str
    value: str | None = None
    number: int | None = None
    text: str | None = None

    @property
    def key(self) -> str | None:
        """What the answer counts under: the score as text, or the choice's code."""
        if self.number is not None:
            return str(self.number)
        return self.value


@dataclass(frozen=True)
class Bar:
    """One choice (or score) of a distribution: ``count`` is None when withheld."""

    key: str
    count: int | None
    share: float | None = None


@dataclass(frozen=True)
class Pool:
    """Groups below 5 and the smallest other group, counted together."""

    members: list[str]
    count: int


@dataclass(frozen=True)
class CrossRow:
    """A scale question's figures within one demographic group (or a pool of them)."""

    key: str  # the group's choice code, or "other" for the pool
    count: int
    mean: float | None
    share_satisfied: float | None
    members: list[str] = field(default_factory=list)  # the pool's groups


@dataclass(frozen=True)
class Crossing:
    """A scale question by a demographic question; ``withheld`` when no group has 5."""

    by: str  # the demographic question's name
    demographic: str
    rows: list[CrossRow]
    withheld: bool


@dataclass(frozen=True)
class QuestionFigures:
    name: str
    kind: QuestionKind
    demographic: str | None
    answered: int
    distribution: list[Bar]
    pool: Pool | None = None  # a demographic question's pooled groups
    withheld: bool = False  # a demographic question with no group of 5
    mean: float | None = None
    satisfied: int | None = None
    share_satisfied: float | None = None
    texts: list[str] | None = None  # None: the role gets the count only
    crossings: list[Crossing] = field(default_factory=list)


@dataclass(frozen=True)
class PointFigures:
    responses: int
    served: int | None
    response_rate: float | None
    questions: list[QuestionFigures]


def ratio(part: int, whole: int | None) -> float | None:
    """``part / whole`` to four decimals, as the indicators' shares (None over nothing)."""
    return round(part / whole, 4) if whole else None


def scores_of(question: Question) -> list[int]:
    low = question.minimum if question.minimum is not None else SCALE_MIN
    high = question.maximum if question.maximum is not None else SCALE_MAX
    return list(range(low, high + 1))


def measures_satisfaction(question: Question) -> bool:
    """A 1–5 scale: satisfied is 4 or 5 on it."""
    return question.kind is QuestionKind.SCALE and scores_of(question) == list(
        range(SCALE_MIN, SCALE_MAX + 1)
    )


def keys_of(question: Question) -> list[str]:
    """The distribution's keys in order: the scores, or the choices' codes."""
    if question.kind is QuestionKind.SCALE:
        return [str(s) for s in scores_of(question)]
    return [c.name for c in question.choices]


def _scale(numbers: Sequence[int], question: Question) -> tuple[float | None, int | None]:
    mean = round(sum(numbers) / len(numbers), 2) if numbers else None
    if not measures_satisfaction(question):
        return mean, None
    return mean, sum(1 for n in numbers if n in SATISFIED)


def question_figures(
    question: Question,
    answers: Iterable[Answer],
    *,
    show_texts: bool,
    tiebreak: Callable[[str], bytes] | None = None,
) -> QuestionFigures:
    """One question's figures from its answers (answers to other questions are ignored)."""
    mine = [a for a in answers if a.question == question.name]
    if question.kind is QuestionKind.TEXT:
        words = [a.text for a in mine if a.text]
        return QuestionFigures(
            name=question.name,
            kind=question.kind,
            demographic=None,
            answered=len(words),
            distribution=[],
            texts=words if show_texts else None,
        )
    counted = [a for a in mine if a.key is not None]
    answered = len(counted)
    counts = dict.fromkeys(keys_of(question), 0)
    for a in counted:
        key = str(a.key)
        counts[key] = counts.get(key, 0) + 1  # a code the survey no longer has still counts
    if question.demographic is not None:
        pooled = suppression.pool(counts, tiebreak)
        if pooled is None:
            bars = [Bar(k, None) for k in counts]
            return QuestionFigures(
                name=question.name,
                kind=question.kind,
                demographic=question.demographic.value,
                answered=answered,
                distribution=bars,
                withheld=True,
            )
        bars = [
            Bar(k, pooled.kept[k], suppression.share(pooled.kept[k], answered))
            if k in pooled.kept
            else Bar(k, None)
            for k in counts
        ]
        return QuestionFigures(
            name=question.name,
            kind=question.kind,
            demographic=question.demographic.value,
            answered=answered,
            distribution=bars,
            pool=Pool(pooled.pooled, pooled.other) if pooled.pooled else None,
        )
    bars = [Bar(k, n, ratio(n, answered)) for k, n in counts.items()]
    mean: float | None = None
    satisfied: int | None = None
    if question.kind is QuestionKind.SCALE:
        mean, satisfied = _scale([int(a.number) for a in counted if a.number is not None], question)
    return QuestionFigures(
        name=question.name,
        kind=question.kind,
        demographic=None,
        answered=answered,
        distribution=bars,
        mean=mean,
        satisfied=satisfied,
        share_satisfied=ratio(satisfied, answered) if satisfied is not None else None,
    )


def crossing(
    question: Question,
    by: Question,
    answers: Iterable[Answer],
    tiebreak: Callable[[str], bytes] | None = None,
) -> Crossing:
    """A scale question's count, mean and share satisfied per group of a demographic
    question, under the suppression rule (groups below 5 pooled; mean over 5 or more,
    share over 10 or more, to whole percent)."""
    assert by.demographic is not None
    group_of: dict[int, str] = {}
    scores: dict[int, int] = {}
    for a in answers:
        if a.question == by.name and a.value is not None:
            group_of[a.response_id] = a.value
        elif a.question == question.name and a.number is not None:
            scores[a.response_id] = a.number
    by_group: dict[str, list[int]] = {c.name: [] for c in by.choices}
    for response, score in scores.items():
        group = group_of.get(response)
        if group is not None:
            by_group.setdefault(group, []).append(score)
    pooled = suppression.pool({k: len(v) for k, v in by_group.items()}, tiebreak)
    if pooled is None:
        return Crossing(by.name, by.demographic.value, [], withheld=True)
    rows = [_cross_row(key, by_group[key], question) for key in by_group if key in pooled.kept]
    if pooled.pooled:
        together = [s for key in pooled.pooled for s in by_group[key]]
        rows.append(_cross_row("other", together, question, members=pooled.pooled))
    return Crossing(by.name, by.demographic.value, rows, withheld=False)


def _cross_row(
    key: str, scores: list[int], question: Question, members: list[str] | None = None
) -> CrossRow:
    count = len(scores)
    satisfied = sum(1 for s in scores if s in SATISFIED)
    return CrossRow(
        key=key,
        count=count,
        mean=suppression.mean(sum(scores), count, digits=2),
        share_satisfied=suppression.share(satisfied, count)
        if measures_satisfaction(question)
        else None,
        members=members or [],
    )


def point_figures(
    survey: Survey,
    responses: int,
    answers: Sequence[Answer],
    *,
    served: int | None,
    show_texts: bool,
    tiebreak: Callable[[str], Callable[[str], bytes]] | None = None,
) -> PointFigures:
    """Every asked question's figures, and a scale question's crossings with each
    demographic question of the survey. ``tiebreak(name)`` orders a pool's equally
    small groups by a keyed hash a reader cannot compute."""
    demographics = [q for q in survey.asked if q.demographic is not None]
    figures = []
    for question in survey.asked:
        order = tiebreak(question.name) if tiebreak else None
        result = question_figures(question, answers, show_texts=show_texts, tiebreak=order)
        if question.kind is QuestionKind.SCALE and question.demographic is None:
            crossings = [
                crossing(
                    question,
                    by,
                    answers,
                    tiebreak(f"{question.name}|{by.name}") if tiebreak else None,
                )
                for by in demographics
            ]
            result = QuestionFigures(**{**result.__dict__, "crossings": crossings})
        figures.append(result)
    return PointFigures(
        responses=responses,
        served=served,
        response_rate=ratio(responses, served) if served else None,
        questions=figures,
    )
