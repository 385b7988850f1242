"""XLSForms to surveys: what parses, what is refused row by row, what a hostile file gets;
and check_survey, the rules every survey keeps (written in the console or uploaded)."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.enums import Language
from storage.surveys import (
    MAX_QUESTIONS,
    Choice,
    Demographic,
    Question,
    QuestionKind,
    Relevance,
    Survey,
    SurveyRefused,
    check_survey,
    with_demographics,
)
from storage.xlsform import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    XLSFormProblem,
    XLSFormRefused,
    parse_xlsform,
)
from tests.storage.media.attacks import claiming_zip_version
from tests.xlsform_samples import (
    EN,
    MALFORMED_ROWS,
    PHONE_NUMBER_ROW,
    RU,
    THREE_QUESTION_CHOICES,
    THREE_QUESTION_ROWS,
    THREE_QUESTIONS,
    UK,
    build_xlsform,
    malformed_form,
    phone_number_form,
    three_question_form,
)


def refusal(data: bytes) -> list[XLSFormProblem]:
    with pytest.raises(XLSFormRefused) as refused:
        parse_xlsform(data)
    assert refused.value.code == "xlsform_refused"
    return refused.value.problems


def where(problems: list[XLSFormProblem]) -> list[tuple[str | None, int | None, str]]:
    return [(p.sheet, p.row, p.code) for p in problems]


# The samples ---------------------------------------------------------------------------


def test_the_three_question_form_parses_to_its_survey() -> None:
    survey = parse_xlsform(three_question_form())
    assert survey == THREE_QUESTIONS
    assert [q.kind for q in survey.asked] == [
        QuestionKind.SCALE,
        QuestionKind.YES_NO,
        QuestionKind.CHOICE,
    ]
    assert survey.question("missing_what").relevant == Relevance("received_all", "no")
    assert survey.question("satisfaction").label(Language.RU) == "Насколько вы довольны помощью?"
    assert Survey.from_json(survey.to_json()) == survey


def test_a_malformed_form_is_refused_row_by_row() -> None:
    problems = refusal(malformed_form())
    assert [(p.row, p.code) for p in problems] == MALFORMED_ROWS
    assert {p.sheet for p in problems} == {"survey"}
    assert [p.question for p in problems] == ["stars", "score", "place", "why"]
    assert problems[0].params == {"type": "rating"}
    assert problems[2].params == {"list": "places"}


def test_a_form_asking_for_a_phone_number_is_refused_naming_its_row() -> None:
    problems = refusal(phone_number_form())
    assert where(problems) == [("survey", PHONE_NUMBER_ROW, "asks_identity")]
    assert problems[0].question == "contact"
    assert problems[0].params["what"] == "phone"


# Hostile files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"name,label\nq1,Hello\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),  # an old .xls (OLE)
        b"PK\x03\x04" + bytes(100),  # a zip's first bytes, then nothing
    ],
    ids=["empty", "csv", "xls", "broken-zip"],
)
def test_what_is_no_xlsx_is_refused(data: bytes) -> None:
    assert where(refusal(data)) == [(None, None, "not_xlsx")]


def test_a_zip_that_is_no_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert where(refusal(out.getvalue())) == [(None, None, "not_xlsx")]


def test_a_file_past_the_cap_is_refused_before_it_is_opened() -> None:
    assert where(refusal(b"PK\x03\x04" + bytes(MAX_FILE_BYTES))) == [(None, None, "file_too_large")]


SHEET = "xl/worksheets/sheet1.xml"  # the survey sheet


def bomb(declared: int | None = None) -> bytes:
    """A real workbook whose survey sheet inflates to 200 MB (a few hundred KB packed);
    ``declared``: the size its zip directory claims instead (a lying bomb)."""
    good = three_question_form()
    out = io.BytesIO()
    big = 200 * 1024 * 1024
    with (
        zipfile.ZipFile(io.BytesIO(good)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
    ):
        for item in source.infolist():
            if item.filename == SHEET:
                continue
            archive.writestr(item, source.read(item.filename))
        with archive.open(SHEET, "w") as member:
            member.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>"
            )
            chunk = b'<row><c t="inlineStr"><is><t>' + b"a" * 1000 + b"</t></is></c></row>"
            for _ in range(big // len(chunk)):
                member.write(chunk)
            member.write(b"</sheetData></worksheet>")
    data = bytearray(out.getvalue())
    if declared is not None:
        # Rewrite the sizes the zip declares for the part, in its local header and in the
        # central directory, as a hand-made bomb would.
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
            info = archive.getinfo(SHEET)
        local = info.header_offset
        struct.pack_into("<I", data, local + 22, declared)
        central = data.find(b"PK\x01\x02")
        while central != -1:
            c_name_len = struct.unpack_from("<H", data, central + 28)[0]
            name = bytes(data[central + 46 : central + 46 + c_name_len])
            if name == SHEET.encode():
                struct.pack_into("<I", data, central + 24, declared)
                break
            central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def test_a_zip_bomb_is_refused_without_inflating_it() -> None:
    data = bomb()
    assert len(data) < MAX_FILE_BYTES
    tracemalloc.start()
    try:
        problems = refusal(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert where(problems) == [(None, None, "file_too_large")]
    assert peak < 8 * 1024 * 1024


def test_a_bomb_lying_about_its_size_inflates_only_what_it_declares() -> None:
    data = bomb(declared=4096)
    assert len(data) < MAX_FILE_BYTES
    tracemalloc.start()
    try:
        problems = refusal(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert where(problems) == [(None, None, "not_xlsx")]
    assert peak < 32 * 1024 * 1024


def test_a_sheet_past_the_part_cap_is_refused_before_it_is_read() -> None:
    # 1.2 MB of one sheet's text, packed into a few KB.
    data = build_xlsform(THREE_QUESTION_ROWS, extra_sheets={"notes": [["x" * 30_000]] * 40})
    assert len(data) < MAX_FILE_BYTES
    assert where(refusal(data)) == [(None, None, "file_too_large")]


def test_too_many_rows_are_refused() -> None:
    rows = [
        {"type": "note", "name": f"n{i}", UK: "Дякуємо", RU: "Спасибо"} for i in range(MAX_ROWS + 1)
    ]
    assert where(refusal(build_xlsform(rows))) == [("survey", MAX_ROWS + 2, "too_many_rows")]


def test_a_workbook_without_a_survey_sheet_is_refused() -> None:
    data = build_xlsform(THREE_QUESTION_ROWS, THREE_QUESTION_CHOICES, survey_title="Sheet1")
    assert where(refusal(data)) == [(None, None, "no_survey_sheet")]


# What the parser reads -----------------------------------------------------------------


def test_headers_in_any_case_and_spacing_plain_label_and_excel_booleans() -> None:
    data = build_xlsform(
        [
            {"TYPE": "start", "Name": "start"},
            {
                "TYPE": "integer",
                "Name": "rating",
                "Label :: Ukrainian(uk)": "Оцініть",
                "label::Russian (ru)": "Оцените",
                "Label": "Rate us",
                "Required": True,
                "Constraint": "(.>0) and (.<6)",
            },
            {"TYPE": "select one yn", "Name": "again", "Label": "Again?", "Required": "TRUE()"},
            {
                "TYPE": "text",
                "Name": "why",
                "Label": "Why not?",
                "Relevant": "selected(${again}, 'no')",
            },
            {"TYPE": "range", "Name": "ease", "Label": "How easy?", "Parameters": "start=1 end=3"},
            {"TYPE": "end", "Name": "end"},
        ],
        [
            {"List Name": "yn", "name": "yes", "label": "Yes"},
            {"List Name": "yn", "name": "no", "label": "No"},
        ],
    )
    survey = parse_xlsform(data)
    rating = survey.question("rating")
    assert (rating.kind, rating.minimum, rating.maximum, rating.required) == (
        QuestionKind.SCALE,
        1,
        5,
        True,
    )
    assert rating.labels == {Language.UK: "Оцініть", Language.RU: "Оцените", Language.EN: "Rate us"}
    assert survey.question("again").kind is QuestionKind.YES_NO
    assert survey.question("again").required
    assert survey.question("why").relevant == Relevance("again", "no")
    assert survey.question("ease").scale_range == (1, 3)
    assert [q.name for q in survey.questions] == ["rating", "again", "why", "ease"]


def test_every_row_the_bot_cannot_run_is_named() -> None:
    data = build_xlsform(
        [
            {"type": "begin group", "name": "g", EN: "Group"},
            {"type": "select_multiple yn", "name": "many", EN: "Many?"},
            {"type": "calculate", "name": "calc", "calculation": "1 + 1"},
            {"type": "geopoint", "name": "where", EN: "Where?"},
            {"type": "select_one yn or_other", "name": "other", EN: "Other?"},
            {"type": "text", "name": "cond", EN: "Cond?", "required": "${many} != ''"},
            {"type": "note", "name": "hello", EN: "You said ${many}"},
            {"type": "integer", "name": "count", EN: "How many?"},
            {"type": "", "name": "lost", EN: "No type"},
            {"type": "text", EN: "No name"},
            {"type": "end group"},
            {"type": "text", "name": "ok", EN: "Anything else?"},
        ],
        [
            {"list_name": "yn", "name": "yes", EN: "Yes"},
            {"list_name": "yn", "name": "no", EN: "No"},
        ],
    )
    assert [(p.row, p.code) for p in refusal(data)] == [
        (2, "unsupported_type"),
        (3, "unsupported_type"),
        (4, "unsupported_type"),
        (5, "unsupported_type"),
        (6, "unsupported_type"),
        (7, "bad_required"),
        (8, "label_reference"),
        (9, "missing_constraint"),
        (10, "missing_type"),
        (11, "missing_name"),
        (12, "unsupported_type"),
    ]


def test_the_checks_problems_are_named_by_the_row_they_came_from() -> None:
    data = build_xlsform(
        [
            {"type": "integer", "name": "Score", UK: "Оцінка", "constraint": ". >= 0 and . <= 10"},
            {"type": "select_one yn", "name": "again", UK: "Ще?"},
            {"type": "select_one yn", "name": "again", UK: "Ще раз?"},
            {"type": "text", "name": "why", UK: "Чому?", "relevant": "${again} = 'maybe'"},
            {"type": "text", "name": "first", UK: "Що ще?", "relevant": "${later} = 'yes'"},
            {"type": "select_one yn", "name": "later", UK: "Пізніше?"},
            {"type": "text", "name": "age", UK: "Ваш вік"},
        ],
        [
            {"list_name": "yn", "name": "yes", UK: "Так"},
            {"list_name": "yn", "name": "no", UK: "Ні"},
            {"list_name": "yn", "name": "no", UK: "Ні ще раз"},
        ],
    )
    assert where(refusal(data)) == [
        ("survey", 2, "bad_name"),
        ("survey", 2, "bad_scale"),
        ("survey", 4, "duplicate_name"),
        ("survey", 5, "relevant_unknown_choice"),
        ("survey", 6, "relevant_later"),
        ("survey", 8, "demographic_not_choice"),
        ("choices", 4, "duplicate_choice"),
    ]


def test_more_than_ten_questions_are_refused_at_the_eleventh() -> None:
    rows = [{"type": "note", "name": "hello", UK: "Вітаємо"}] + [
        {"type": "integer", "name": f"q{i}", UK: f"Питання {i}", "constraint": ". >= 1 and . <= 5"}
        for i in range(MAX_QUESTIONS + 2)
    ]
    problems = refusal(build_xlsform(rows))
    assert where(problems) == [("survey", MAX_QUESTIONS + 3, "too_many_questions")]
    assert problems[0].params == {"count": MAX_QUESTIONS + 2, "max": MAX_QUESTIONS}


def test_choice_questions_on_sex_age_and_disability_are_marked() -> None:
    data = build_xlsform(
        [
            {"type": "select_one sex", "name": "q1", UK: "Ваша стать", RU: "Ваш пол"},
            {"type": "select_one ages", "name": "q2", UK: "Вікова група", RU: "Возрастная группа"},
            {
                "type": "select_one wg",
                "name": "q3",
                EN: "Do you have difficulty seeing, even if wearing glasses?",
            },
            {"type": "select_one yn", "name": "q4", UK: "Чи все було зрозуміло?"},
        ],
        [
            {"list_name": "sex", "name": "f", UK: "Жінка", RU: "Женщина"},
            {"list_name": "sex", "name": "m", UK: "Чоловік", RU: "Мужчина"},
            {"list_name": "ages", "name": "a18", UK: "18–59", RU: "18–59"},
            {"list_name": "ages", "name": "a60", UK: "60+", RU: "60+"},
            {"list_name": "wg", "name": "no", EN: "No difficulty"},
            {"list_name": "wg", "name": "some", EN: "Some difficulty"},
            {"list_name": "yn", "name": "yes", UK: "Так"},
            {"list_name": "yn", "name": "no", UK: "Ні"},
        ],
    )
    survey = parse_xlsform(data)
    assert [q.demographic for q in survey.questions] == [
        Demographic.SEX,
        Demographic.AGE_GROUP,
        Demographic.DISABILITY,
        None,
    ]


# check_survey: what identifies, what is no question about a person ----------------------


def text_question(label: str, language: Language = Language.UK, name: str = "q") -> Question:
    return Question(name, QuestionKind.TEXT, {language: label})


def problems_of(survey: Survey) -> list[tuple[int | None, str]]:
    try:
        check_survey(with_demographics(survey))
    except SurveyRefused as refused:
        return [(p.index, p.code) for p in refused.problems]
    return []


@pytest.mark.parametrize(
    ("label", "language", "what"),
    [
        ("Ваше ім'я та прізвище", Language.UK, "name"),
        ("Вкажіть, будь ласка, ваше імʼя", Language.UK, "name"),
        ("Ваша фамилия", Language.RU, "name"),
        ("What is your full name?", Language.EN, "name"),
        ("Name", Language.EN, "name"),
        ("Номер телефону для зворотного зв'язку", Language.UK, "phone"),
        ("Не могли бы вы оставить свой номер телефона?", Language.RU, "phone"),
        ("Ваша адреса", Language.UK, "address"),
        ("На какой улице вы живёте?", Language.RU, "address"),
        ("Your home address", Language.EN, "address"),
        ("Ваш e-mail", Language.UK, "email"),
        ("Електронна пошта", Language.UK, "email"),
        ("Серія та номер паспорта", Language.UK, "document"),
        ("Ваш ІПН", Language.UK, "document"),
        ("Дата рождения", Language.RU, "birth"),
        ("GPS coordinates of your home", Language.EN, "location"),
        ("Ваше точне місцезнаходження", Language.UK, "location"),
        # Cyrillic under plain ``label`` (English): still found.
        ("Ваш телефон", Language.EN, "phone"),
    ],
)
def test_a_text_question_asking_what_identifies_is_refused(
    label: str, language: Language, what: str
) -> None:
    with pytest.raises(SurveyRefused) as refused:
        check_survey(Survey((text_question(label, language),)))
    [problem] = refused.value.problems
    assert (problem.code, problem.params["what"]) == ("asks_identity", what)


@pytest.mark.parametrize(
    ("label", "language"),
    [
        ("Наименование пункта раздачи, где вы получили помощь", Language.RU),
        ("Назва пункту видачі", Language.UK),
        ("Именно это вам помогло?", Language.RU),
        ("What is the name of the distribution?", Language.EN),
        ("Please name the thing you missed most", Language.EN),
        ("How should we address this problem?", Language.EN),
        ("Was the location of the distribution point convenient? Why?", Language.EN),
        ("Чи була адресна допомога корисною?", Language.UK),
        ("Чи вчасно прийшла посилка Новою поштою?", Language.UK),
        ("Що могло б бути краще? Будь ласка, не вказуйте ім'я та телефон.", Language.UK),
        ("Anything else? Please do not write your name or phone number.", Language.EN),
        ("Как вы узнали о горячей линии?", Language.RU),
        ("Что могло бы стать лучше?", Language.RU),
        ("Пол в пункте был мокрый и скользкий, что ещё заметили?", Language.RU),
        ("How could we serve people with disabilities better?", Language.EN),
        ("What message would you give the team?", Language.EN),
        ("Чоловік, жінка чи дитина: кому допомога була найкориснішою?", Language.UK),
    ],
)
def test_words_that_only_look_alike_pass(label: str, language: Language) -> None:
    assert problems_of(Survey((text_question(label, language),))) == []


@pytest.mark.parametrize(
    "question",
    [
        Question(
            "asked_phone",
            QuestionKind.YES_NO,
            {Language.EN: "Did staff ask for your phone number?"},
            choices=(Choice("yes", {Language.EN: "Yes"}), Choice("no", {Language.EN: "No"})),
        ),
        Question("hotline", QuestionKind.NOTE, {Language.UK: "Телефон гарячої лінії: 0 800"}),
    ],
    ids=["yes-no", "note"],
)
def test_only_free_text_can_carry_what_identifies(question: Question) -> None:
    survey = Survey((question, text_question("Що ще?", name="more")))
    assert problems_of(survey) == []


@pytest.mark.parametrize(
    ("label", "language", "name"),
    [
        ("Ваш вік", Language.UK, "q"),
        ("Скільки вам років?", Language.UK, "q"),
        ("Ваш пол", Language.RU, "q"),
        ("What is your gender?", Language.EN, "q"),
        ("Чи маєте ви інвалідність?", Language.UK, "q"),
        ("Расскажите о себе", Language.RU, "age"),
    ],
)
def test_sex_age_and_disability_as_free_text_are_refused(
    label: str, language: Language, name: str
) -> None:
    survey = Survey((text_question(label, language, name),))
    assert problems_of(survey) == [(0, "demographic_not_choice")]


def good_choice(name: str = "again") -> Question:
    return Question(
        name,
        QuestionKind.YES_NO,
        {Language.UK: "Чи прийшли б ви ще?"},
        choices=(Choice("yes", {Language.UK: "Так"}), Choice("no", {Language.UK: "Ні"})),
    )


def test_check_survey_collects_every_problem() -> None:
    survey = Survey(
        (
            Question("scale", QuestionKind.SCALE, {Language.UK: "Оцінка"}, minimum=0, maximum=7),
            Question("pick", QuestionKind.CHOICE, {Language.UK: "Оберіть"}),
            Question(
                "yn",
                QuestionKind.YES_NO,
                {Language.UK: "Так чи ні"},
                choices=(
                    Choice("так", {Language.UK: "Так"}),
                    Choice("ні", {Language.UK: "Ні"}),
                ),
            ),
            Question("", QuestionKind.TEXT, {Language.UK: "Що ще?"}),
            Question("blank", QuestionKind.TEXT, {Language.UK: "  "}),
            replace(good_choice("after"), relevant=Relevance("nowhere", "yes")),
            replace(good_choice("self"), relevant=Relevance("self", "yes")),
            replace(good_choice("on_text"), relevant=Relevance("blank", "x")),
        )
    )
    assert problems_of(survey) == [
        (0, "bad_scale"),
        (1, "no_choices"),
        (2, "bad_choice_name"),
        (2, "bad_choice_name"),
        (2, "yes_no_choices"),
        (3, "bad_name"),
        (4, "no_label"),
        (5, "relevant_unknown"),
        (6, "relevant_later"),
        (7, "relevant_not_choice"),
    ]


def test_a_survey_with_nothing_to_answer_is_refused() -> None:
    note = Question("hello", QuestionKind.NOTE, {Language.UK: "Дякуємо"})
    assert problems_of(Survey((note,))) == [(None, "no_questions")]


# Generated: any survey built from safe parts passes, and survives JSON ------------------

SAFE_LABELS = st.sampled_from(
    ["Оцініть допомогу", "Чи все було зрозуміло?", "Что можно улучшить?", "Was it on time?"]
)
LANGUAGES = st.sampled_from(list(Language))
CHOICE_NAMES = st.sampled_from(["1", "2", "very_good", "food", "Other", "n-a", "x.1", "no"])


@st.composite
def surveys(draw: st.DrawFn) -> Survey:
    count = draw(st.integers(1, MAX_QUESTIONS))
    questions: list[Question] = []
    for i in range(count):
        labels = draw(st.dictionaries(LANGUAGES, SAFE_LABELS, min_size=1))
        kind = draw(st.sampled_from([k for k in QuestionKind if k is not QuestionKind.NOTE]))
        required = draw(st.booleans())
        name = f"q{i}"
        if kind is QuestionKind.SCALE:
            low = draw(st.integers(1, 4))
            high = draw(st.integers(low + 1, 5))
            questions.append(Question(name, kind, labels, required, minimum=low, maximum=high))
        elif kind is QuestionKind.YES_NO:
            questions.append(replace(good_choice(name), labels=labels, required=required))
        elif kind is QuestionKind.CHOICE:
            names = draw(st.lists(CHOICE_NAMES, min_size=1, max_size=6, unique=True))
            choices = tuple(Choice(n, {Language.UK: n.upper()}) for n in names)
            relevant = None
            earlier = [q for q in questions if q.choices]
            if earlier and draw(st.booleans()):
                target = draw(st.sampled_from(earlier))
                relevant = Relevance(target.name, draw(st.sampled_from(target.choices)).name)
            questions.append(Question(name, kind, labels, required, choices, relevant=relevant))
        else:
            questions.append(Question(name, kind, labels, required))
    return Survey(tuple(questions))


@settings(max_examples=60, deadline=None)
@given(surveys())
def test_any_survey_of_safe_parts_passes_and_survives_json(survey: Survey) -> None:
    check_survey(survey)
    assert Survey.from_json(survey.to_json()) == survey


@settings(max_examples=30, deadline=None)
@given(surveys(), st.integers(0, MAX_QUESTIONS - 1))
def test_a_question_asking_for_a_phone_number_is_found_wherever_it_is(
    survey: Survey, at: int
) -> None:
    at = min(at, len(survey.questions))
    phone = text_question("Ваш номер телефону", name="contact")
    questions = (*survey.questions[:at], phone, *survey.questions[at:])
    with pytest.raises(SurveyRefused) as refused:
        check_survey(Survey(questions[:MAX_QUESTIONS]))
    assert [(p.index, p.code) for p in refused.value.problems] == [(at, "asks_identity")]


def test_a_yes_no_question_without_choices_answers_yes_or_no() -> None:
    bare = replace(good_choice("again"), choices=())
    follow = replace(text_question("Чому?", name="why"), relevant=Relevance("again", "no"))
    assert problems_of(Survey((bare, follow))) == []
    wrong = replace(follow, relevant=Relevance("again", "maybe"))
    assert problems_of(Survey((bare, wrong))) == [(1, "relevant_unknown_choice")]


# Whatever the file holds, the answer is a survey or a refusal -------------------------

CELLS = st.one_of(
    st.none(),
    st.integers(-10, 10),
    st.booleans(),
    st.sampled_from(
        ["select_one yn", "integer", "text", "note", "select_one", "begin group", "yes", "no",
         ". >= 1 and . <= 5", ". > 0 and . < 9", "${a} = 'yes'", "selected(${a}, 'no')", "a",
         "b", "Ваш телефон", "Вік", "Оцініть", "${", "'", "=", "range", "start=1 end=5"]
    ),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
)  # fmt: skip
COLUMNS = ["type", "name", UK, RU, "label", "required", "relevant", "constraint", "parameters"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({c: CELLS for c in COLUMNS}), min_size=1, max_size=8),
    st.lists(
        st.fixed_dictionaries({"list_name": st.sampled_from(["yn", "x", ""]), "name": CELLS}),
        max_size=5,
    ),
)
def test_any_sheet_gives_a_survey_or_a_refusal(
    survey: list[dict[str, object]], choices: list[dict[str, object]]
) -> None:
    try:
        parsed = parse_xlsform(build_xlsform(survey, choices))
    except XLSFormRefused as refused:
        assert refused.problems
        assert all(p.code for p in refused.problems)
    else:
        check_survey(parsed)


GOOD = three_question_form()  # once: openpyxl stamps the time in it, so its size varies


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_damaged_file_gives_a_survey_or_a_refusal(data: st.DataObject) -> None:
    damaged = bytearray(GOOD)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    try:
        parse_xlsform(bytes(damaged))
    except XLSFormRefused as refused:
        assert refused.problems


def test_a_file_claiming_a_zip_version_from_the_future_is_refused() -> None:
    # Found by the test above: one byte of the central directory set to 64 ("needs ZIP
    # 6.4"), which zipfile refuses with NotImplementedError.
    damaged = claiming_zip_version(GOOD, 64)
    assert where(refusal(damaged)) == [(None, None, "not_xlsx")]
