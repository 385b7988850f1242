"""What a feedback point's survey is: the definition the console writes, an XLSForm
upload produces (:mod:`storage.xlsform`), the bot and the web form run, and the results
count. Plain values, stored as JSON on the feedback point (``Survey.to_json``) with a
version, so a stored survey keeps reading after the shape grows.

A survey is short (at most :data:`MAX_QUESTIONS` questions, notes not counted) and asks
nothing that identifies a person: the checks live with the parser and the console's
editor, which both build a ``Survey`` and then call :func:`check_survey`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from storage import survey_words
from storage.enums import Language
from storage.errors import InvalidInput

SURVEY_VERSION = 1
MAX_QUESTIONS = 10
SCALE_MIN = 1
SCALE_MAX = 5
MAX_CHOICES = 12  # buttons on one screen of the bot
MAX_NAME = 40
MAX_LABEL = 500  # a question's label: one message in the bot
MAX_CHOICE_LABEL = 100  # a choice's label: one button
NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
CHOICE_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
YES_NO_NAMES = ("yes", "no")


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

    def label(self, language: Language) -> str:
        return _pick(self.labels, language)


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

    @property
    def scale_range(self) -> tuple[int, int]:
        """A scale's bounds, SCALE_MIN..SCALE_MAX where not given."""
        low = SCALE_MIN if self.minimum is None else self.minimum
        high = SCALE_MAX if self.maximum is None else self.maximum
        return low, high


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


# What a survey may not be -------------------------------------------------------------


@dataclass(frozen=True)
class SurveyProblem:
    """One reason a survey is refused. ``code`` is stable (the console translates it,
    with ``params``); ``index`` is the question's position in ``Survey.questions`` and
    ``choice`` the choice's in its ``choices`` (None where the problem is the survey's
    as a whole), so the XLSForm parser can name the row."""

    code: str
    params: dict[str, str | int] = field(default_factory=dict)
    question: str | None = None
    index: int | None = None
    choice: int | None = None


class SurveyRefused(InvalidInput):
    """A survey the bot cannot run, or one that asks what it must not: every problem
    found, not only the first."""

    code = "survey_refused"

    def __init__(self, problems: list[SurveyProblem]) -> None:
        super().__init__("The survey is refused: " + ", ".join(p.code for p in problems) + ".")
        self.problems = problems


# Where the words of each language are looked for: a label in its own language; Cyrillic
# under English (a plain XLSForm ``label`` holding Ukrainian or Russian) in both.
def _label_languages(language: Language, text: str) -> tuple[str, ...]:
    if language is Language.EN and survey_words.has_cyrillic(text):
        return ("en", "uk", "ru")
    return (language.value,)


def demographic_of(question: Question, *, personal: bool = False) -> Demographic | None:
    """Which demographic the question is about, by the words of its name and labels
    (:mod:`storage.survey_words`); ``personal``: only where it asks the person about
    themselves."""
    found = survey_words.find_demographic(
        question.name, ("en",), personal=personal, short=2
    ) or next(
        (
            hit
            for language, text in question.labels.items()
            if (
                hit := survey_words.find_demographic(
                    text, _label_languages(language, text), personal=personal
                )
            )
        ),
        None,
    )
    return Demographic(found.what) if found else None


def with_demographics(survey: Survey) -> Survey:
    """The survey with its choice questions about sex, age group or disability marked
    (``demographic``), so that every figure crossed with them is suppressed below 5. A
    mark already there is kept. The parser and the console's editor call this before
    :func:`check_survey`."""
    questions = []
    for q in survey.questions:
        if q.demographic is None and q.kind in (QuestionKind.CHOICE, QuestionKind.YES_NO):
            marked = demographic_of(q)
            if marked is not None:
                q = replace(q, demographic=marked)
        questions.append(q)
    return Survey(tuple(questions))


def check_survey(survey: Survey) -> None:
    """Refuse (:class:`SurveyRefused`, with every problem) a survey the bot cannot run or
    one that asks what identifies a person.

    What identifies is looked for in *text* questions only (name and every label): a
    choice, a yes/no or a 1–5 answer is one of the values the M&E unit wrote, and cannot
    carry a phone number, while "Did staff ask for your phone number?" is a fair yes/no
    question. Notes ask nothing ("call the hotline's phone number" is what a note is for).
    """
    problems: list[SurveyProblem] = []
    asked = [i for i, q in enumerate(survey.questions) if q.kind is not QuestionKind.NOTE]
    if not asked:
        problems.append(SurveyProblem("no_questions", {"max": MAX_QUESTIONS}))
    elif len(asked) > MAX_QUESTIONS:
        first_extra = asked[MAX_QUESTIONS]
        problems.append(
            SurveyProblem(
                "too_many_questions",
                {"count": len(asked), "max": MAX_QUESTIONS},
                survey.questions[first_extra].name,
                first_extra,
            )
        )
    seen: dict[str, int] = {}
    for index, question in enumerate(survey.questions):
        problems.extend(_question_problems(survey, index, question, seen))
        seen.setdefault(question.name, index)
    if problems:
        raise SurveyRefused(problems)


def _question_problems(
    survey: Survey, index: int, q: Question, earlier: dict[str, int]
) -> list[SurveyProblem]:
    found: list[SurveyProblem] = []

    def problem(code: str, at: int | None = None, **params: str | int) -> None:
        found.append(SurveyProblem(code, dict(params), q.name, index, at))

    if not NAME_RE.fullmatch(q.name) or len(q.name) > MAX_NAME:
        problem("bad_name", name=q.name, max=MAX_NAME)
    elif q.name in earlier:
        problem("duplicate_name", name=q.name)
    texts = {lang: text.strip() for lang, text in q.labels.items() if text.strip()}
    if not texts:
        problem("no_label")
    for lang, text in texts.items():
        if len(text) > MAX_LABEL:
            problem("label_too_long", language=lang.value, max=MAX_LABEL)
    if q.kind in (QuestionKind.CHOICE, QuestionKind.YES_NO):
        _choice_problems(q, problem)
    elif q.choices:
        problem("choices_not_allowed")
    if q.kind is QuestionKind.SCALE:
        low, high = q.scale_range
        if not SCALE_MIN <= low < high <= SCALE_MAX:
            problem("bad_scale", minimum=low, maximum=high, low=SCALE_MIN, high=SCALE_MAX)
    elif q.minimum is not None or q.maximum is not None:
        problem("bounds_not_allowed")
    if q.relevant is not None:
        _relevance_problems(survey, q.relevant, earlier, problem)
    if q.kind is QuestionKind.TEXT:
        hits = (
            survey_words.find_identifying(q.name, short=1),
            *(survey_words.find_identifying(text) for text in texts.values()),
        )
        hit = next((h for h in hits if h is not None), None)
        if hit is not None:
            problem("asks_identity", what=hit.what, word=hit.word)
    if q.kind not in (QuestionKind.CHOICE, QuestionKind.YES_NO, QuestionKind.NOTE):
        demographic = q.demographic
        if demographic is None and q.kind is QuestionKind.TEXT:
            demographic = demographic_of(q, personal=True)
        if demographic is not None:
            problem("demographic_not_choice", demographic=demographic.value)
    return found


def answers_of(question: Question) -> tuple[str, ...]:
    """The answers a choice or yes/no question stores (a yes/no without choices: yes, no)."""
    if question.kind is QuestionKind.YES_NO and not question.choices:
        return YES_NO_NAMES
    return tuple(c.name for c in question.choices)


class _Report(Protocol):
    def __call__(self, code: str, at: int | None = None, **params: str | int) -> None: ...


def _choice_problems(q: Question, problem: _Report) -> None:
    if not q.choices:
        # A yes/no question without choices: the bot and the web form say yes and no in
        # the person's language (its stored answers are still ``yes`` and ``no``).
        if q.kind is not QuestionKind.YES_NO:
            problem("no_choices")
        return
    if len(q.choices) > MAX_CHOICES:
        problem("too_many_choices", count=len(q.choices), max=MAX_CHOICES)
    names: set[str] = set()
    for at, choice in enumerate(q.choices):
        if not CHOICE_NAME_RE.fullmatch(choice.name) or len(choice.name) > MAX_NAME:
            problem("bad_choice_name", at, choice=choice.name, max=MAX_NAME)
        elif choice.name in names:
            problem("duplicate_choice", at, choice=choice.name)
        names.add(choice.name)
        texts = [text.strip() for text in choice.labels.values() if text.strip()]
        if not texts:
            problem("choice_no_label", at, choice=choice.name)
        elif any(len(text) > MAX_CHOICE_LABEL for text in texts):
            problem("choice_label_too_long", at, choice=choice.name, max=MAX_CHOICE_LABEL)
    if q.kind is QuestionKind.YES_NO and sorted(names) != sorted(YES_NO_NAMES):
        problem("yes_no_choices")


def _relevance_problems(
    survey: Survey, relevant: Relevance, earlier: dict[str, int], problem: _Report
) -> None:
    """Only after the question it depends on, on one of that question's choices."""
    target = relevant.question
    if target not in earlier:
        known = any(q.name == target for q in survey.questions)
        problem("relevant_later" if known else "relevant_unknown", question=target)
        return
    depends_on = survey.questions[earlier[target]]
    if depends_on.kind not in (QuestionKind.CHOICE, QuestionKind.YES_NO):
        problem("relevant_not_choice", question=target)
    elif relevant.value not in answers_of(depends_on):
        problem("relevant_unknown_choice", question=target, value=relevant.value)
