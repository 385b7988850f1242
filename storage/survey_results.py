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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from storage import suppression
from storage.enums import Language
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


def language_of(code: str) -> Language:
    """A survey's language for a reader's language code (English when it has none)."""
    return next((lang for lang in Language if lang.value == code), Language.EN)


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


YES_NO = ("yes", "no")


def keys_of(question: Question) -> list[str]:
    """The distribution's keys in order: the scores, or the choices' codes."""
    if question.kind is QuestionKind.SCALE:
        return [str(s) for s in scores_of(question)]
    if question.kind is QuestionKind.YES_NO:
        return list(YES_NO)
    return [c.name for c in question.choices]


@dataclass
class Tally:
    """A point's answers as counted (in SQL by the repository, or from answer rows by
    :meth:`of`): what every figure is computed from.

    ``counts``: question -> answer key (score or choice code) -> answers;
    ``texts``: question -> the words given (only when they may be read);
    ``text_counts``: question -> text answers; ``crossed``: (scale question,
    demographic question) -> group (choice code) -> score -> answers.
    """

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)
    text_counts: dict[str, int] = field(default_factory=dict)
    crossed: dict[tuple[str, str], dict[str, dict[int, int]]] = field(default_factory=dict)

    def count(self, question: str, key: str, times: int = 1) -> None:
        row = self.counts.setdefault(question, {})
        row[key] = row.get(key, 0) + times

    def cross(self, question: str, by: str, group: str, score: int, times: int = 1) -> None:
        groups = self.crossed.setdefault((question, by), {})
        scores = groups.setdefault(group, {})
        scores[score] = scores.get(score, 0) + times

    @classmethod
    def of(cls, survey: Survey, answers: Iterable[Answer], *, show_texts: bool) -> Tally:
        tally = cls()
        rows = list(answers)
        demographic = {q.name for q in survey.asked if q.demographic is not None}
        group_of: dict[tuple[int, str], str] = {}
        for a in rows:
            if a.text:
                tally.text_counts[a.question] = tally.text_counts.get(a.question, 0) + 1
                if show_texts:
                    tally.texts.setdefault(a.question, []).append(a.text)
            elif a.key is not None:
                tally.count(a.question, a.key)
                if a.question in demographic and a.value is not None:
                    group_of[(a.response_id, a.question)] = a.value
        for a in rows:
            if a.number is None:
                continue
            for by in demographic:
                group = group_of.get((a.response_id, by))
                if group is not None:
                    tally.cross(a.question, by, group, a.number)
        return tally


def _mean(scores: dict[int, int]) -> tuple[int, int, int]:
    """(answers, their sum, how many satisfied) of a score -> count map."""
    count = sum(scores.values())
    total = sum(s * n for s, n in scores.items())
    happy = sum(n for s, n in scores.items() if s in SATISFIED)
    return count, total, happy


def question_figures(
    question: Question,
    tally: Tally,
    *,
    show_texts: bool,
    tiebreak: Callable[[str], bytes] | None = None,
) -> QuestionFigures:
    """One question's figures from the point's tally."""
    if question.kind is QuestionKind.TEXT:
        return QuestionFigures(
            name=question.name,
            kind=question.kind,
            demographic=None,
            answered=tally.text_counts.get(question.name, 0),
            distribution=[],
            texts=list(tally.texts.get(question.name, [])) if show_texts else None,
        )
    counts = dict.fromkeys(keys_of(question), 0)
    for key, n in tally.counts.get(question.name, {}).items():
        counts[key] = counts.get(key, 0) + n  # a code the survey no longer has still counts
    answered = sum(counts.values())
    if question.demographic is not None:
        pooled = suppression.pool(counts, tiebreak)
        if pooled is None:
            return QuestionFigures(
                name=question.name,
                kind=question.kind,
                demographic=question.demographic.value,
                answered=answered,
                distribution=[Bar(k, None) for k in counts],
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
        scores = {int(k): n for k, n in counts.items()}
        _count, total, happy = _mean(scores)
        mean = round(total / answered, 2) if answered else None
        satisfied = happy if measures_satisfaction(question) else None
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
    tally: Tally,
    tiebreak: Callable[[str], bytes] | None = None,
) -> Crossing:
    """A scale question's count, mean and share satisfied per group of a demographic
    question, under the suppression rule (groups below 5 pooled; mean over 5 or more,
    share over 10 or more, to whole percent)."""
    assert by.demographic is not None
    by_group: dict[str, dict[int, int]] = {c.name: {} for c in by.choices}
    for group, scores in tally.crossed.get((question.name, by.name), {}).items():
        by_group.setdefault(group, {}).update(scores)
    pooled = suppression.pool({k: sum(v.values()) for k, v in by_group.items()}, tiebreak)
    if pooled is None:
        return Crossing(by.name, by.demographic.value, [], withheld=True)
    rows = [_cross_row(key, by_group[key], question) for key in by_group if key in pooled.kept]
    if pooled.pooled:
        together: dict[int, int] = {}
        for key in pooled.pooled:
            for score, n in by_group[key].items():
                together[score] = together.get(score, 0) + n
        rows.append(_cross_row("other", together, question, members=pooled.pooled))
    return Crossing(by.name, by.demographic.value, rows, withheld=False)


def _cross_row(
    key: str, scores: dict[int, int], question: Question, members: list[str] | None = None
) -> CrossRow:
    count, total, happy = _mean(scores)
    return CrossRow(
        key=key,
        count=count,
        mean=suppression.mean(total, count, digits=2),
        share_satisfied=suppression.share(happy, count)
        if measures_satisfaction(question)
        else None,
        members=members or [],
    )


def point_figures(
    survey: Survey,
    responses: int,
    tally: Tally,
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
        result = question_figures(question, tally, show_texts=show_texts, tiebreak=order)
        if question.kind is QuestionKind.SCALE and question.demographic is None:
            crossings = [
                crossing(
                    question,
                    by,
                    tally,
                    tiebreak(f"{question.name}|{by.name}") if tiebreak else None,
                )
                for by in demographics
            ]
            result = replace(result, crossings=crossings)
        figures.append(result)
    return PointFigures(
        responses=responses,
        served=served,
        response_rate=ratio(responses, served) if served else None,
        questions=figures,
    )
