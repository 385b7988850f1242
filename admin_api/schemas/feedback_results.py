"""A feedback point's results (``GET /feedback-points/{code}/results``): the figures the
console's results page and dashboard show, per question, with the survey's labels in
every language it has. Definitions: :mod:`storage.survey_results`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from admin_api.schemas.stats import PeriodOut, PeriodParams, SatisfactionOut
from storage.enums import Language
from storage.periods import Period
from storage.services.feedback_results import PointResults
from storage.survey_results import QuestionFigures
from storage.surveys import Question


class ResultsParams(PeriodParams):
    """The period: Kyiv calendar days, both included (default: this month)."""


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class BarOut(_Out):
    key: str = Field(description="The score (`1`…`5`) or the choice's code.")
    labels: dict[str, str] = Field(description="The choice's label per language.")
    count: int | None = Field(description="Answers; null when withheld (a demographic group).")
    share: float | None = Field(description="Of the question's answers.")


class PoolOut(_Out):
    members: list[str] = Field(description="Groups below 5 and the smallest other group.")
    count: int


class CrossRowOut(_Out):
    key: str = Field(description="The group's code, or `other` for the pool.")
    count: int
    mean: float | None = Field(description="Over 5 answers or more.")
    share_satisfied: float | None = Field(description="Over 10 or more, to whole percent.")
    members: list[str]


class CrossingOut(_Out):
    by: str = Field(description="The demographic question's name.")
    demographic: str = Field(description="`sex`, `age_group` or `disability`.")
    withheld: bool = Field(description="No group has 5 answers: nothing is shown.")
    rows: list[CrossRowOut]


class QuestionResultsOut(_Out):
    name: str
    kind: str = Field(description="`scale`, `choice`, `yes_no` or `text`.")
    labels: dict[str, str]
    demographic: str | None
    answered: int
    distribution: list[BarOut]
    pool: PoolOut | None = Field(description="A demographic question's pooled groups.")
    withheld: bool = Field(description="A demographic question with no group of 5.")
    mean: float | None = Field(description="A scale question's mean score.")
    satisfied: int | None = Field(description="Answers of 4 or 5 on a 1–5 scale.")
    share_satisfied: float | None = Field(description="Share of 4–5 on a 1–5 scale.")
    texts: list[str] | None = Field(
        description="The words given (newest first), for operators and focal points only; "
        "null for other roles, who get `answered`."
    )
    crossings: list[CrossingOut] = Field(
        description="A scale question per group of each demographic question (groups "
        "below 5 pooled)."
    )


class PointOut(_Out):
    code: str
    name: str
    programme: str
    oblast: str
    site: str | None
    active_from: date
    active_until: date | None
    served: int | None


class FeedbackResultsOut(BaseModel):
    point: PointOut
    period: PeriodOut
    responses: int = Field(description="Survey responses in the period.")
    response_rate: float | None = Field(
        description="Responses (or ratings, for a point without a survey) over the people "
        "the point serves; null when it does not say."
    )
    ratings: SatisfactionOut = Field(description="Satisfaction ratings given at the point.")
    questions: list[QuestionResultsOut]
    texts_shown: bool = Field(description="Whether text answers are given to your role.")


def _labels(values: Mapping[Language, str]) -> dict[str, str]:
    return {k.value: v for k, v in values.items()}


def _choice_labels(question: Question | None, key: str) -> dict[str, str]:
    if question is None:
        return {}
    for choice in question.choices:
        if choice.name == key:
            return _labels(choice.labels)
    return {}  # a score, or a code the survey no longer has


def question_out(figures: QuestionFigures, question: Question | None) -> QuestionResultsOut:
    return QuestionResultsOut(
        name=figures.name,
        kind=figures.kind.value,
        labels=_labels(question.labels) if question else {},
        demographic=figures.demographic,
        answered=figures.answered,
        distribution=[
            BarOut(key=b.key, labels=_choice_labels(question, b.key), count=b.count, share=b.share)
            for b in figures.distribution
        ],
        pool=PoolOut.model_validate(figures.pool) if figures.pool else None,
        withheld=figures.withheld,
        mean=figures.mean,
        satisfied=figures.satisfied,
        share_satisfied=figures.share_satisfied,
        texts=figures.texts,
        crossings=[CrossingOut.model_validate(c) for c in figures.crossings],
    )


def results_out(result: PointResults, period: Period) -> FeedbackResultsOut:
    survey = result.survey
    questions = []
    if result.figures is not None and survey is not None:
        questions = [question_out(f, survey.question(f.name)) for f in result.figures.questions]
    return FeedbackResultsOut(
        point=PointOut.model_validate(result.point),
        period=PeriodOut.model_validate(period),
        responses=result.responses,
        response_rate=result.response_rate,
        ratings=SatisfactionOut.model_validate(result.ratings),
        questions=questions,
        texts_shown=result.texts_shown,
    )
