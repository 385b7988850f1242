"""An XLSForm (the spreadsheet KoBoToolbox and ODK define surveys with) to a
:class:`~storage.surveys.Survey`, or a refusal naming every row the bot cannot run.

What is read: the ``survey`` sheet (columns ``type``, ``name``, ``label`` in
``label::Ukrainian (uk)`` / ``label::Russian (ru)`` / ``label::English (en)`` or plain
``label`` as English, ``required``, ``relevant``, ``constraint``; ``hint``,
``appearance``, messages and labels in other languages are ignored) and the ``choices``
sheet (``list_name``, ``name``, the same labels). Types:

- ``select_one <list>``: a choice; a yes/no question when the list's names are exactly
  ``yes`` and ``no``;
- ``integer`` with a ``constraint`` like ``. >= 1 and . <= 5`` (or ``range`` with
  ``start=1 end=5``): a scale inside 1..5;
- ``text``, ``note``;
- ``start``, ``end`` and ``today`` (KoBoToolbox adds them to every form) are skipped: Holos
  keeps only coarse times of its own.

Everything else (groups, repeats, ``calculate``, ``select_multiple``, ``geopoint``,
dates, media, other metadata) is refused, as is a ``relevant`` other than
``${question} = 'value'`` (or ``selected(${question}, 'value')``) and a ``required``
that is not plainly yes or no. Then :func:`~storage.surveys.check_survey` runs, and its
problems are named by row too.

The file comes from a signed-in analyst, but is treated as hostile: at most
:data:`MAX_FILE_BYTES`; a zip whose parts add up to at most :data:`MAX_UNPACKED_BYTES`,
no XML part past :data:`MAX_PART_BYTES` (checked from the zip's directory before openpyxl
opens anything, and zipfile never inflates a part past its declared size); at most
:data:`MAX_COLUMNS` columns and :data:`MAX_ROWS` filled rows read per sheet; openpyxl
reads XML through defusedxml (no entity expansion). ``bench/xlsform.py`` measures the
worst files these limits let through.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from storage.enums import Language
from storage.errors import InvalidInput
from storage.media.types import ZIP_ERRORS
from storage.surveys import (
    YES_NO_NAMES,
    Choice,
    Question,
    QuestionKind,
    Relevance,
    Survey,
    SurveyProblem,
    SurveyRefused,
    check_survey,
    with_demographics,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 6 * 1024 * 1024
# One XML part (a sheet, the shared strings, the styles) unpacked. openpyxl reads a whole
# sheet before the first row when it has no <dimension> (and a row's every cell before
# the row), so what a part may hold is what bounds its time and memory: 1 MB is some
# 30,000 cells, far past any form Holos runs (a real one is tens of KB).
MAX_PART_BYTES = 1024 * 1024
MAX_PARTS = 200
MAX_COLUMNS = 40
MAX_ROWS = 500  # rows with something in them, per sheet
MAX_ROWS_SCANNED = 5000  # rows read at all (formatting leaves empty rows behind)
MAX_CELL = 2000  # characters kept of one cell

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SURVEY = "survey"
CHOICES = "choices"

# Skipped: KoBoToolbox puts them in every form; Holos records no precise times.
SKIPPED_TYPES = frozenset({"start", "end", "today"})
# Known to XLSForm, refused by name (anything else is an unknown type).
UNSUPPORTED_TYPES = frozenset(
    {
        "begin group", "end group", "begin_group", "end_group", "begin repeat",
        "end repeat", "begin_repeat", "end_repeat", "calculate", "select_multiple",
        "select_one_from_file", "select_multiple_from_file", "rank", "geopoint",
        "geotrace", "geoshape", "start-geopoint", "decimal", "date", "time", "dateTime",
        "datetime", "image", "audio", "background-audio", "video", "file", "barcode",
        "acknowledge", "hidden", "xml-external", "csv-external", "deviceid",
        "phonenumber", "username", "email", "simserial", "subscriberid", "audit",
    }
)  # fmt: skip

_LANGUAGE_NAMES = {
    "uk": Language.UK,
    "ukrainian": Language.UK,
    "українська": Language.UK,
    "ru": Language.RU,
    "russian": Language.RU,
    "русский": Language.RU,
    "російська": Language.RU,
    "en": Language.EN,
    "english": Language.EN,
    "англійська": Language.EN,
}
_TRUE = frozenset({"yes", "true", "1", "true()", "y"})
_FALSE = frozenset({"", "no", "false", "0", "false()", "n"})

_BOUND = r"\.\s*(>=|>|<=|<)\s*(-?\d+)"
_CONSTRAINT = re.compile(rf"^\(?\s*{_BOUND}\s*\)?\s+and\s+\(?\s*{_BOUND}\s*\)?$", re.IGNORECASE)
_RELEVANT = (
    re.compile(r"""^\$\{([^}\s]+)\}\s*=\s*(['"])(.*?)\2$"""),
    re.compile(r"""^selected\(\s*\$\{([^}\s]+)\}\s*,\s*(['"])(.*?)\2\s*\)$"""),
)
_SELECT_ONE = re.compile(r"^select(?:_one| one)\s+(\S+)(\s+\S.*)?$", re.IGNORECASE)
_RANGE_PARAM = re.compile(r"(\w+)\s*=\s*(-?\d+)")


@dataclass(frozen=True)
class XLSFormProblem:
    """One reason the form is refused: where (``sheet``, ``row`` as Excel numbers it,
    None for the file as a whole), a stable ``code`` the console translates with
    ``params``, and the question's name where there is one."""

    sheet: str | None
    row: int | None
    code: str
    params: dict[str, str | int] = field(default_factory=dict)
    question: str | None = None


class XLSFormRefused(InvalidInput):
    code = "xlsform_refused"

    def __init__(self, problems: list[XLSFormProblem]) -> None:
        super().__init__("The XLSForm is refused: " + ", ".join(p.code for p in problems) + ".")
        self.problems = problems


def parse_xlsform(data: bytes) -> Survey:
    """The survey an XLSForm defines (demographic questions marked), or
    :class:`XLSFormRefused` naming every offending row."""
    sheets = _read_workbook(data)
    parser = _Parser(sheets)
    survey = parser.parse()
    if parser.problems:
        raise XLSFormRefused(_in_order(parser.problems))
    survey = with_demographics(survey)
    try:
        check_survey(survey)
    except SurveyRefused as refused:
        raise XLSFormRefused(_in_order([parser.locate(p) for p in refused.problems])) from None
    return survey


def _in_order(problems: list[XLSFormProblem]) -> list[XLSFormProblem]:
    """The file's problems first, then the survey sheet's, then the choices', by row; a
    choice list's problem once, though every question using the list has it."""
    sheets = {None: 0, SURVEY: 1, CHOICES: 2}
    unique: dict[tuple[object, ...], XLSFormProblem] = {}
    for p in problems:
        unique.setdefault((p.sheet, p.row, p.code, tuple(sorted(p.params.items()))), p)
    return sorted(unique.values(), key=lambda p: (sheets.get(p.sheet, 3), p.row or 0))


# Reading, defensively --------------------------------------------------------------------


@dataclass
class _Sheet:
    header: dict[str, int]  # normalised column name -> position
    header_row: int
    rows: list[tuple[int, list[str]]]  # (Excel row number, cells as text)


def _refuse(code: str, **params: str | int) -> XLSFormRefused:
    return XLSFormRefused([XLSFormProblem(None, None, code, dict(params))])


def _read_workbook(data: bytes) -> dict[str, _Sheet]:
    if len(data) > MAX_FILE_BYTES:
        raise _refuse("file_too_large", max_mb=MAX_FILE_BYTES // (1024 * 1024))
    if not data.startswith(b"PK\x03\x04"):
        raise _refuse("not_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            names = {p.filename for p in parts}
    except ZIP_ERRORS:
        raise _refuse("not_xlsx") from None
    if (
        len(parts) > MAX_PARTS
        or sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES
        or any(p.file_size > MAX_PART_BYTES for p in parts if _is_xml(p.filename))
    ):
        raise _refuse("file_too_large", max_mb=MAX_FILE_BYTES // (1024 * 1024))
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise _refuse("not_xlsx")
    from openpyxl import load_workbook  # only once the file is known to be small

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # hostile or broken input: openpyxl raises anything
        raise _refuse("not_xlsx") from None
    try:
        found = {title.strip().lower(): title for title in book.sheetnames}
        sheets: dict[str, _Sheet] = {}
        for wanted in (SURVEY, CHOICES):
            if wanted in found:
                sheets[wanted] = _read_sheet(book[found[wanted]], wanted)
    except XLSFormRefused:
        raise
    except Exception:
        raise _refuse("not_xlsx") from None
    finally:
        book.close()
    if SURVEY not in sheets:
        raise _refuse("no_survey_sheet")
    return sheets


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()[:MAX_CELL]


def _read_sheet(sheet: Any, title: str) -> _Sheet:
    header: dict[str, int] | None = None
    header_row = 0
    rows: list[tuple[int, list[str]]] = []
    for number, values in enumerate(
        sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
    ):
        if number > MAX_ROWS_SCANNED:
            raise XLSFormRefused([XLSFormProblem(title, None, "too_many_rows", {"max": MAX_ROWS})])
        cells = [_text(v) for v in values]
        if not any(cells):
            continue
        if header is None:
            header = {}
            for at, name in enumerate(cells):
                key = _column(name)
                if key and key not in header:
                    header[key] = at
            header_row = number
            continue
        if len(rows) >= MAX_ROWS:
            raise XLSFormRefused(
                [XLSFormProblem(title, number, "too_many_rows", {"max": MAX_ROWS})]
            )
        rows.append((number, cells))
    return _Sheet(header or {}, header_row, rows)


def _column(name: str) -> str:
    """A header, normalised: ``Label :: Ukrainian (uk)`` -> ``label::uk``; ``list name``
    -> ``list_name``; other columns lower case."""
    text = " ".join(name.lower().split())
    if "::" in text:
        base, _, language = (part.strip() for part in text.partition("::"))
        code = _language_of(language)
        return f"{base.replace(' ', '_')}::{code.value if code else language}"
    return text.replace(" ", "_")


def _language_of(text: str) -> Language | None:
    inside = re.search(r"\(([^)]*)\)", text)
    if inside and inside.group(1).strip() in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[inside.group(1).strip()]
    word = re.sub(r"\(.*?\)", "", text).strip()
    return _LANGUAGE_NAMES.get(word)


# Parsing ---------------------------------------------------------------------------------


@dataclass
class _Row:
    sheet: _Sheet
    number: int
    cells: list[str]

    def get(self, column: str) -> str:
        at = self.sheet.header.get(column)
        if at is None or at >= len(self.cells):
            return ""
        return self.cells[at]

    def labels(self) -> dict[Language, str]:
        found: dict[Language, str] = {}
        plain = self.get("label")
        for language in Language:
            text = self.get(f"label::{language.value}")
            if text:
                found[language] = text
        if plain and Language.EN not in found:
            found[Language.EN] = plain
        return found


class _Parser:
    def __init__(self, sheets: dict[str, _Sheet]) -> None:
        self.survey = sheets[SURVEY]
        self.choices = sheets.get(CHOICES)
        self.problems: list[XLSFormProblem] = []
        self.question_rows: list[int] = []  # Survey.questions[i] came from this row
        self.choice_rows: dict[str, list[int]] = {}  # list name -> its choices' rows
        self.lists_used: list[str | None] = []

    def problem(
        self, sheet: str, row: int | None, code: str, question: str | None = None, **params: Any
    ) -> None:
        self.problems.append(XLSFormProblem(sheet, row, code, dict(params), question))

    def locate(self, problem: SurveyProblem) -> XLSFormProblem:
        """A check's problem, at the row its question or choice came from."""
        if problem.index is None:
            return XLSFormProblem(SURVEY, None, problem.code, problem.params, problem.question)
        row = self.question_rows[problem.index]
        listed = self.lists_used[problem.index]
        if problem.choice is not None and listed is not None and listed in self.choice_rows:
            choice_row = self.choice_rows[listed][problem.choice]
            params = {**problem.params, "list": listed}
            return XLSFormProblem(CHOICES, choice_row, problem.code, params, problem.question)
        return XLSFormProblem(SURVEY, row, problem.code, problem.params, problem.question)

    def parse(self) -> Survey:
        lists = self._lists()
        for column in ("type", "name"):
            if column not in self.survey.header:
                self.problem(SURVEY, self.survey.header_row or 1, "missing_column", column=column)
        if self.problems:
            return Survey()
        questions = []
        for number, cells in self.survey.rows:
            question = self._question(_Row(self.survey, number, cells), lists)
            if question is not None:
                questions.append(question)
        return Survey(tuple(questions))

    def _lists(self) -> dict[str, tuple[Choice, ...]]:
        lists: dict[str, list[Choice]] = {}
        sheet = self.choices
        if sheet is None:
            return {}
        if not sheet.rows:
            return {}
        for column in ("list_name", "name"):
            if column not in sheet.header:
                self.problem(CHOICES, sheet.header_row, "missing_column", column=column)
                return {}
        for number, cells in sheet.rows:
            row = _Row(sheet, number, cells)
            list_name, name = row.get("list_name"), row.get("name")
            if not list_name or not name:
                self.problem(CHOICES, number, "choice_missing_name")
                continue
            lists.setdefault(list_name, []).append(Choice(name, row.labels()))
            self.choice_rows.setdefault(list_name, []).append(number)
        return {name: tuple(choices) for name, choices in lists.items()}

    def _question(self, row: _Row, lists: dict[str, tuple[Choice, ...]]) -> Question | None:
        raw_type = " ".join(row.get("type").split())
        name = row.get("name")
        base, _, argument = raw_type.partition(" ")
        kind_word = base.lower()
        before = len(self.problems)

        def problem(code: str, **params: Any) -> None:
            self.problem(SURVEY, row.number, code, name or None, **params)

        if not raw_type:
            problem("missing_type")
            return None
        if kind_word in SKIPPED_TYPES and not argument:
            return None
        if raw_type.lower() in UNSUPPORTED_TYPES or kind_word in UNSUPPORTED_TYPES:
            problem("unsupported_type", type=raw_type)
            return None
        listed: str | None = None
        minimum = maximum = None
        choices: tuple[Choice, ...] = ()
        select = _SELECT_ONE.match(raw_type)
        if select:
            listed = select.group(1)
            if select.group(2):
                # "select_one list or_other": the free-text "other" is not run
                problem("unsupported_type", type=raw_type)
                return None
            if listed not in lists:
                problem("unknown_list", list=listed)
            choices = lists.get(listed, ())
            names = sorted(c.name for c in choices)
            kind = QuestionKind.YES_NO if names == sorted(YES_NO_NAMES) else QuestionKind.CHOICE
        elif kind_word in ("integer", "int") and not argument:
            kind = QuestionKind.SCALE
            bounds = self._constraint(row.get("constraint"))
            if bounds is None:
                code = "missing_constraint" if not row.get("constraint") else "bad_constraint"
                problem(code, constraint=row.get("constraint"))
            else:
                minimum, maximum = bounds
        elif kind_word == "range" and not argument:
            kind = QuestionKind.SCALE
            bounds = self._range(row.get("parameters"))
            if bounds is None:
                problem("bad_range", parameters=row.get("parameters"))
            else:
                minimum, maximum = bounds
        elif kind_word in ("text", "string") and not argument:
            kind = QuestionKind.TEXT
        elif kind_word == "note" and not argument:
            kind = QuestionKind.NOTE
        else:
            problem("unknown_type", type=raw_type)
            return None
        if not name:
            problem("missing_name")
        if kind is not QuestionKind.SCALE and row.get("constraint"):
            problem("bad_constraint", constraint=row.get("constraint"))
        for column in ("choice_filter", "repeat_count", "calculation", "trigger"):
            if row.get(column):
                problem("unsupported_column", column=column)
        required_text = row.get("required").lower()
        if required_text not in _TRUE | _FALSE:
            problem("bad_required", value=row.get("required"))
        runnable, relevant = self._relevant(row.get("relevant"))
        if not runnable:
            problem("bad_relevant", relevant=row.get("relevant"))
        labels = row.labels()
        if any("${" in text for text in labels.values()):
            problem("label_reference")
        if len(self.problems) > before:
            return None
        self.question_rows.append(row.number)
        self.lists_used.append(listed)
        return Question(
            name=name,
            kind=kind,
            labels=labels,
            required=required_text in _TRUE and kind is not QuestionKind.NOTE,
            choices=choices,
            minimum=minimum,
            maximum=maximum,
            relevant=relevant,
        )

    @staticmethod
    def _constraint(text: str) -> tuple[int, int] | None:
        match = _CONSTRAINT.match(" ".join(text.split()))
        if not match:
            return None
        low: int | None = None
        high: int | None = None
        for op, value in ((match.group(1), match.group(2)), (match.group(3), match.group(4))):
            number = int(value)
            if op in (">=", ">"):
                low = number + (op == ">")
            else:
                high = number - (op == "<")
        if low is None or high is None:
            return None
        return low, high

    @staticmethod
    def _range(text: str) -> tuple[int, int] | None:
        params = {k.lower(): int(v) for k, v in _RANGE_PARAM.findall(text)}
        if params.get("step", 1) != 1 or "start" not in params or "end" not in params:
            return None
        return params["start"], params["end"]

    @staticmethod
    def _relevant(text: str) -> tuple[bool, Relevance | None]:
        """Whether Holos can run the condition, and the condition (None: always asked)."""
        text = " ".join(text.split())
        if not text:
            return True, None
        for pattern in _RELEVANT:
            match = pattern.match(text)
            if match:
                return True, Relevance(match.group(1), match.group(3))
        return False, None


# A form to start from --------------------------------------------------------------------

_TEMPLATE_HEADER = (
    "type",
    "name",
    "label::Ukrainian (uk)",
    "label::Russian (ru)",
    "label::English (en)",
    "required",
    "relevant",
    "constraint",
)
_TEMPLATE_SURVEY: tuple[tuple[str, ...], ...] = (
    ("note", "intro", "Кілька запитань про допомогу. Анонімно.",
     "Несколько вопросов о помощи. Анонимно.", "A few questions about the assistance. Anonymous.",
     "", "", ""),
    ("integer", "satisfaction", "Наскільки ви задоволені допомогою?",
     "Насколько вы довольны помощью?", "How satisfied are you with the assistance?",
     "yes", "", ". >= 1 and . <= 5"),
    ("select_one yes_no", "received_all", "Чи отримали ви все, що було обіцяно?",
     "Получили ли вы всё, что было обещано?", "Did you receive everything you were promised?",
     "yes", "", ""),
    ("select_one missing", "missing_what", "Чого бракувало?", "Чего не хватало?",
     "What was missing?", "", "${received_all} = 'no'", ""),
    ("select_one age_group", "age_group", "Ваша вікова група", "Ваша возрастная группа",
     "Your age group", "", "", ""),
    ("text", "improve", "Що можна покращити?", "Что можно улучшить?",
     "What could be better?", "", "", ""),
)  # fmt: skip
_TEMPLATE_CHOICES: tuple[tuple[str, ...], ...] = (
    ("yes_no", "yes", "Так", "Да", "Yes"),
    ("yes_no", "no", "Ні", "Нет", "No"),
    ("missing", "food", "Продукти", "Продукты", "Food"),
    ("missing", "hygiene", "Засоби гігієни", "Средства гигиены", "Hygiene items"),
    ("missing", "other", "Інше", "Другое", "Something else"),
    ("age_group", "under_18", "До 18", "До 18", "Under 18"),
    ("age_group", "18_59", "18–59", "18–59", "18–59"),
    ("age_group", "60_plus", "60 і більше", "60 и старше", "60 or older"),
)


def template_xlsform() -> bytes:
    """An XLSForm to start from: every kind Holos runs, in uk, ru and en (it parses)."""
    from openpyxl import Workbook

    book = Workbook()
    survey = book.active
    survey.title = SURVEY
    survey.append(list(_TEMPLATE_HEADER))
    for row in _TEMPLATE_SURVEY:
        survey.append(list(row))
    choices = book.create_sheet(CHOICES)
    choices.append(["list_name", "name", *_TEMPLATE_HEADER[2:5]])
    for row in _TEMPLATE_CHOICES:
        choices.append(list(row))
    for sheet, widths in (
        (survey, (20, 16, 40, 40, 40, 10, 26, 20)),
        (choices, (14, 12, 24, 24, 24)),
    ):
        for at, width in enumerate(widths):
            sheet.column_dimensions[chr(ord("A") + at)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
