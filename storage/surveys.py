"""What a feedback point's survey is: the definition the console writes, an XLSForm
upload produces (:mod:`storage.xlsform`), the bot and the web form run, and the results
count. Plain values, stored as JSON on the feedback point (``Survey.to_json``) with a
version, so a stored survey keeps reading after the shape grows.

A survey is short (at most :data:`MAX_QUESTIONS` questions, notes not counted) and asks
nothing that identifies a person: the checks live with the parser and the console's
editor, which both build a ``Survey`` and then call :func:`check_survey`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from storage.enums import Language

SURVEY_VERSION = 1
MAX_QUESTIONS = 10
SCALE_MIN = 1
SCALE_MAX = 5


class QuestionKind(StrEnum):
    SCALE = "scale"  # 1–5 (an XLSForm integer with a range constraint inside 1..5)
    CHOICE = "choice"  # one of a list (select_one)
    YES_NO = "yes_no"  # select_one over a yes/no list
    TEXT = "text"  # short free text, always skippable in the bot
    NOTE = "note"  # shown, not answered


class Demographic(StrEnum):
    """Questions whose figures are suppressed below 5 when crossed with them. Asked only
    as choices, never as free text (the Washington Group short set for disability)."""

    SEX = "sex"
    AGE_GROUP = "age_group"
    DISABILITY = "disability"


@dataclass(frozen=True)
class Choice:
    name: str  # the stored code, as in the XLSForm's choices sheet
    labels: dict[Language, str]


@dataclass(frozen=True)
class Relevance:
    """Ask this question only when an earlier question's answer equals ``value``
    (XLSForm ``relevant`` of the form ``${name} = 'value'``)."""

    question: str
    value: str


@dataclass(frozen=True)
class Question:
    name: str  # unique within the survey, [a-z][a-z0-9_]*, the export's column code
    kind: QuestionKind
    labels: dict[Language, str]
    required: bool = False
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None  # scale bounds, inside SCALE_MIN..SCALE_MAX
    maximum: int | None = None
    relevant: Relevance | None = None
    demographic: Demographic | None = None

    def label(self, language: Language) -> str:
        """The label in ``language``, else English, else any there is."""
        return _pick(self.labels, language)


@dataclass(frozen=True)
class Survey:
    questions: tuple[Question, ...] = field(default_factory=tuple)

    @property
    def asked(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind is not QuestionKind.NOTE)

    def question(self, name: str) -> Question:
        for q in self.questions:
            if q.name == name:
                return q
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "v": SURVEY_VERSION,
            "questions": [
                {
                    "name": q.name,
                    "kind": q.kind.value,
                    "labels": {lang.value: text for lang, text in q.labels.items()},
                    "required": q.required,
                    "choices": [
                        {"name": c.name, "labels": {k.value: v for k, v in c.labels.items()}}
                        for c in q.choices
                    ],
                    "minimum": q.minimum,
                    "maximum": q.maximum,
                    "relevant": (
                        {"question": q.relevant.question, "value": q.relevant.value}
                        if q.relevant
                        else None
                    ),
                    "demographic": q.demographic.value if q.demographic else None,
                }
                for q in self.questions
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Survey:
        if data.get("v") != SURVEY_VERSION:
            raise ValueError(f"unknown survey version {data.get('v')!r}")
        return cls(
            questions=tuple(
                Question(
                    name=q["name"],
                    kind=QuestionKind(q["kind"]),
                    labels={Language(k): v for k, v in q["labels"].items()},
                    required=bool(q["required"]),
                    choices=tuple(
                        Choice(
                            name=c["name"],
                            labels={Language(k): v for k, v in c["labels"].items()},
                        )
                        for c in q["choices"]
                    ),
                    minimum=q["minimum"],
                    maximum=q["maximum"],
                    relevant=(
                        Relevance(q["relevant"]["question"], q["relevant"]["value"])
                        if q["relevant"]
                        else None
                    ),
                    demographic=Demographic(q["demographic"]) if q["demographic"] else None,
                )
                for q in data["questions"]
            )
        )


def _pick(labels: dict[Language, str], language: Language) -> str:
    if language in labels:
        return labels[language]
    if Language.EN in labels:
        return labels[Language.EN]
    return next(iter(labels.values()), "")
