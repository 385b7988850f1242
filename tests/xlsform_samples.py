"""XLSForms for tests, built with openpyxl (no binary fixtures): a good three-question form
in Ukrainian and Russian, one asking for a phone number, one the bot cannot run, and
:func:`build_xlsform` for any other.

The end-to-end tests upload these through the console; ``THREE_QUESTIONS`` is what the
good one parses to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook

from storage.enums import Language
from storage.surveys import Choice, Question, QuestionKind, Relevance, Survey

UK = "label::Ukrainian (uk)"
RU = "label::Russian (ru)"
EN = "label::English (en)"

Row = Mapping[str, object]


def build_xlsform(
    survey: Sequence[Row],
    choices: Sequence[Row] = (),
    *,
    survey_title: str = "survey",
    extra_sheets: Mapping[str, Sequence[Sequence[object]]] | None = None,
) -> bytes:
    """An .xlsx with a ``survey`` sheet (columns: every key of the rows, in first-seen
    order) and, when given, a ``choices`` sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = survey_title
    _fill(sheet, survey)
    if choices:
        _fill(book.create_sheet("choices"), choices)
    for title, rows in (extra_sheets or {}).items():
        extra = book.create_sheet(title)
        for values in rows:
            extra.append(list(values))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Any, rows: Sequence[Row]) -> None:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) for c in columns])


# The good one: a 1–5 scale, a yes/no, and a choice asked only after a "no".
THREE_QUESTION_ROWS: list[Row] = [
    {
        "type": "integer",
        "name": "satisfaction",
        UK: "Наскільки ви задоволені допомогою?",
        RU: "Насколько вы довольны помощью?",
        "required": "yes",
        "constraint": ". >= 1 and . <= 5",
    },
    {
        "type": "select_one yes_no",
        "name": "received_all",
        UK: "Чи отримали ви все, що було обіцяно?",
        RU: "Получили ли вы всё, что было обещано?",
        "required": "yes",
    },
    {
        "type": "select_one missing",
        "name": "missing_what",
        UK: "Чого бракувало?",
        RU: "Чего не хватало?",
        "relevant": "${received_all} = 'no'",
    },
]
THREE_QUESTION_CHOICES: list[Row] = [
    {"list_name": "yes_no", "name": "yes", UK: "Так", RU: "Да"},
    {"list_name": "yes_no", "name": "no", UK: "Ні", RU: "Нет"},
    {"list_name": "missing", "name": "food", UK: "Продукти", RU: "Продукты"},
    {"list_name": "missing", "name": "hygiene", UK: "Засоби гігієни", RU: "Средства гигиены"},
    {"list_name": "missing", "name": "other", UK: "Інше", RU: "Другое"},
]


def _labels(uk: str, ru: str) -> dict[Language, str]:
    return {Language.UK: uk, Language.RU: ru}


THREE_QUESTIONS = Survey(
    (
        Question(
            "satisfaction",
            QuestionKind.SCALE,
            _labels("Наскільки ви задоволені допомогою?", "Насколько вы довольны помощью?"),
            required=True,
            minimum=1,
            maximum=5,
        ),
        Question(
            "received_all",
            QuestionKind.YES_NO,
            _labels(
                "Чи отримали ви все, що було обіцяно?", "Получили ли вы всё, что было обещано?"
            ),
            required=True,
            choices=(Choice("yes", _labels("Так", "Да")), Choice("no", _labels("Ні", "Нет"))),
        ),
        Question(
            "missing_what",
            QuestionKind.CHOICE,
            _labels("Чого бракувало?", "Чего не хватало?"),
            choices=(
                Choice("food", _labels("Продукти", "Продукты")),
                Choice("hygiene", _labels("Засоби гігієни", "Средства гигиены")),
                Choice("other", _labels("Інше", "Другое")),
            ),
            relevant=Relevance("received_all", "no"),
        ),
    )
)


def three_question_form() -> bytes:
    """A valid form in uk and ru: parses to :data:`THREE_QUESTIONS`."""
    return build_xlsform(THREE_QUESTION_ROWS, THREE_QUESTION_CHOICES)


# Refused at row 3 (Excel's numbering: the header is row 1): it asks for a phone number.
PHONE_NUMBER_ROW = 3


def phone_number_form() -> bytes:
    return build_xlsform(
        [
            THREE_QUESTION_ROWS[0],
            {
                "type": "text",
                "name": "contact",
                UK: "Залиште ваш номер телефону, і ми вам передзвонимо",
                RU: "Оставьте ваш номер телефона, и мы вам перезвоним",
            },
        ]
    )


# Refused row by row: (row, code) in the order they are reported.
MALFORMED_ROWS = [
    (2, "unknown_type"),  # "rating" is no XLSForm type
    (3, "bad_constraint"),  # a scale 0..10 written as something Holos cannot read
    (4, "unknown_list"),  # select_one over a list the choices sheet does not have
    (5, "bad_relevant"),  # two conditions
]


def malformed_form() -> bytes:
    return build_xlsform(
        [
            {"type": "rating", "name": "stars", UK: "Оцініть", RU: "Оцените"},
            {
                "type": "integer",
                "name": "score",
                UK: "Оцінка від 0 до 10",
                RU: "Оценка от 0 до 10",
                "constraint": "regex(., '^[0-9]+$')",
            },
            {"type": "select_one places", "name": "place", UK: "Де?", RU: "Где?"},
            {
                "type": "text",
                "name": "why",
                UK: "Чому?",
                RU: "Почему?",
                "relevant": "${stars} = '1' or ${score} < 3",
            },
            {"type": "select_one yes_no", "name": "again", UK: "Ще раз?", RU: "Ещё раз?"},
        ],
        THREE_QUESTION_CHOICES[:2],
    )
