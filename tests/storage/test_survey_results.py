"""A feedback point's results arithmetic (storage.survey_results) against figures worked
out by hand: distributions, means, share satisfied, the response rate, text answers by
role, and demographic crossings withheld below 5."""

from __future__ import annotations

from storage.enums import Language
from storage.survey_results import Answer, Bar, Pool, Tally, point_figures, question_figures
from storage.surveys import Choice, Demographic, Question, QuestionKind, Survey

UK, EN = Language.UK, Language.EN

SCALE = Question("satisfaction", QuestionKind.SCALE, {EN: "How satisfied?"}, minimum=1, maximum=5)
ENOUGH = Question(
    "enough",
    QuestionKind.YES_NO,
    {EN: "Was it enough?"},
    choices=(Choice("yes", {EN: "Yes"}), Choice("no", {EN: "No"})),
)
SEX = Question(
    "sex",
    QuestionKind.CHOICE,
    {EN: "Sex"},
    choices=(Choice("female", {EN: "Female"}), Choice("male", {EN: "Male"})),
    demographic=Demographic.SEX,
)
WORDS = Question("words", QuestionKind.TEXT, {EN: "Anything else?"})
NOTE = Question("thanks", QuestionKind.NOTE, {EN: "Thank you"})
SURVEY = Survey((SCALE, ENOUGH, SEX, WORDS, NOTE))


def answers(rows: list[tuple[int, str | None, str, str | None]]) -> list[Answer]:
    """(score, enough, sex, words) per response, ids from 1."""
    result = []
    for rid, (score, enough, sex, words) in enumerate(rows, start=1):
        if score is not None:
            result.append(Answer(rid, "satisfaction", number=score))
        if enough is not None:
            result.append(Answer(rid, "enough", value=enough))
        result.append(Answer(rid, "sex", value=sex))
        if words is not None:
            result.append(Answer(rid, "words", text=words))
    return result


def tally(rows: list[Answer], show_texts: bool = False) -> Tally:
    return Tally.of(SURVEY, rows, show_texts=show_texts)


# Twelve responses: scores 5,5,4,4,4,3,2,1,5,4 and two without a score.
ROWS: list[tuple[int, str | None, str, str | None]] = [
    (5, "yes", "female", "Дякую"),
    (5, "yes", "female", None),
    (4, "yes", "female", None),
    (4, "no", "female", "Черга"),
    (4, "yes", "female", None),
    (3, "no", "female", None),
    (2, "no", "male", None),
    (1, "no", "male", None),
    (5, "yes", "female", None),
    (4, None, "male", None),
]


def test_figures_by_hand() -> None:
    rows = [*answers(ROWS), Answer(11, "sex", value="male"), Answer(12, "sex", value="female")]
    figures = point_figures(SURVEY, 12, tally(rows, True), served=40, show_texts=True)
    assert figures.responses == 12
    assert figures.response_rate == 0.3  # 12 of 40
    assert [q.name for q in figures.questions] == ["satisfaction", "enough", "sex", "words"]
    scale, enough, sex, words = figures.questions
    assert scale.answered == 10
    assert [(b.key, b.count) for b in scale.distribution] == [
        ("1", 1),
        ("2", 1),
        ("3", 1),
        ("4", 4),
        ("5", 3),
    ]
    assert scale.mean == 3.7  # 37 / 10
    assert scale.satisfied == 7
    assert scale.share_satisfied == 0.7
    assert enough.answered == 9
    assert enough.distribution == [Bar("yes", 5, 0.5556), Bar("no", 4, 0.4444)]
    assert enough.mean is None and enough.share_satisfied is None
    # Sex: 8 female, 4 male: the male group is pooled with the female one (the only one
    # of 5 or more), so neither is shown alone.
    assert sex.demographic == "sex"
    assert sex.answered == 12
    assert sex.distribution == [Bar("female", None), Bar("male", None)]
    assert sex.pool == Pool(["female", "male"], 12)
    assert words.answered == 2
    assert words.texts == ["Дякую", "Черга"]
    assert words.distribution == []


def test_text_answers_are_counted_only_for_roles_that_do_not_read_them() -> None:
    words = question_figures(WORDS, tally(answers(ROWS), False), show_texts=False)
    assert words.answered == 2
    assert words.texts is None


def test_a_crossing_with_a_demographic_question_withholds_groups_below_five() -> None:
    # 7 female scores (5,5,4,4,4,3,5) and 3 male (2,1,4): the male group is below 5.
    figures = point_figures(SURVEY, 10, tally(answers(ROWS)), served=None, show_texts=False)
    scale = figures.questions[0]
    assert figures.response_rate is None
    (by_sex,) = scale.crossings
    assert by_sex.by == "sex" and not by_sex.withheld
    # No group shown alone: male (3) is pooled with female (7), the smallest of 5 or more.
    assert [(r.key, r.count, r.members) for r in by_sex.rows] == [("other", 10, ["female", "male"])]
    assert by_sex.rows[0].mean == 3.7
    assert by_sex.rows[0].share_satisfied == 0.7

    # With 5 men, each group is shown: women 5,5,4,4,4,3,5 (mean 4.29, 6 of 7 satisfied,
    # but 7 is below the share's base of 10), men 2,1,4,4,4 (mean 3.0).
    more = [*ROWS, (4, "yes", "male", None), (4, "yes", "male", None)]
    figures = point_figures(SURVEY, 12, tally(answers(more)), served=None, show_texts=False)
    (by_sex,) = figures.questions[0].crossings
    rows = {r.key: r for r in by_sex.rows}
    assert (rows["female"].count, rows["female"].mean) == (7, 4.29)
    assert rows["female"].share_satisfied is None
    assert (rows["male"].count, rows["male"].mean) == (5, 3.0)
    sex = figures.questions[2]
    # Shares over the 12 who answered (10 or more), to whole percent.
    assert sex.distribution == [Bar("female", 7, 0.58), Bar("male", 5, 0.42)]
    assert sex.pool is None


def test_a_crossing_with_no_group_of_five_is_withheld_whole() -> None:
    few = ROWS[5:9]  # 3, 2, 1, 5: two women and two men
    figures = point_figures(SURVEY, 4, tally(answers(few), True), served=None, show_texts=True)
    scale, _enough, sex, _words = figures.questions
    assert scale.crossings[0].withheld and scale.crossings[0].rows == []
    assert sex.withheld
    assert all(b.count is None for b in sex.distribution)
    # The scale's own figures are not crossed with anything: shown as they are.
    assert scale.answered == 4 and scale.mean == 2.75


def test_a_scale_that_is_not_one_to_five_has_a_mean_but_no_share_satisfied() -> None:
    short = Question("ease", QuestionKind.SCALE, {UK: "Легко?"}, minimum=1, maximum=3)
    rows = [Answer(i, "ease", number=n) for i, n in enumerate([1, 3, 3, 2], start=1)]
    figures = question_figures(
        short, Tally.of(Survey((short,)), rows, show_texts=False), show_texts=False
    )
    assert [b.key for b in figures.distribution] == ["1", "2", "3"]
    assert figures.mean == 2.25
    assert figures.share_satisfied is None and figures.satisfied is None
