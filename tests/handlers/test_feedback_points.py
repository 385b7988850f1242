"""A feedback point's poster in the bot (issue 24): ``/start fp_<code>`` opens the
point's survey (or a rating tied to the point), one question a screen in the person's
language; the answers are stored at the end, per question, with nothing of the person;
a complaint made next carries the point; a code that does not open says so, kindly,
above the usual first screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

from bot.fsm import DatabaseStorage
from bot.runtime import BotRuntime
from storage.clock import HOUR, FrozenClock, floor_to
from storage.core import Core
from storage.models import Rating, SurveyResponse
from storage.services.feedback_points import MAX_TEXT_ANSWER_CHARS
from tests.handlers.conversation import CATEGORY_LABELS, Talk, oblast_label, stored_cases, tr
from tests.handlers.feedback_people import (
    SURVEY,
    THANKS,
    answer_survey,
    make_point,
    people_answer,
)
from tgemu import BotHandle


@dataclass(frozen=True)
class Stored:
    """A stored response as the results read it: its columns and its answers."""

    point_id: int
    language: str
    channel: str
    created_at: datetime
    answers: dict[str, object]


async def responses(core: Core) -> list[Stored]:
    async with core.database.read_only() as session:
        rows = (await session.scalars(select(SurveyResponse).order_by(SurveyResponse.id))).all()
        return [
            Stored(
                r.point_id,
                r.language,
                r.channel,
                r.created_at,
                {
                    a.question: a.number if a.number is not None else a.text or a.value
                    for a in r.answers
                },
            )
            for r in rows
        ]


async def test_a_survey_in_ukrainian_one_screen_a_question_stored_at_the_end(
    running_bot: BotRuntime, make_user, bot_core: Core, clock: FrozenClock, tg: BotHandle
) -> None:
    point = await make_point(bot_core)
    user = await make_user("uk")
    talk = Talk(user, "uk")
    first = (await user.send_command("start", f"fp_{point.code}")).last
    # Where they are, that it is anonymous, and the first question with its scale.
    assert "Харків, вул. Сумська 12" in first.body and "анонімн" in first.body
    assert "Наскільки ви задоволені сьогоднішньою видачею?" in first.body
    assert first.button_labels == ["1", "2", "3", "4", "5"]  # required: no «Skip»
    # Typed where buttons answer: said so, the question again; nothing is taken.
    again = (await talk.say("Добре")).last
    assert again.body.startswith(tr("uk", "Please choose one of the options with the buttons."))
    assert "Наскільки ви задоволені" in again.body
    second = (await user.press("4")).last
    # The answer's button edits its message into the next question, the note above it.
    assert second.message_id == again.message_id
    assert second.body.startswith("Ще два питання.") and "Ви довго чекали?" in second.body
    assert second.button_labels == ["Так", "Ні"]
    third = (await user.press("Так")).last
    assert "Скільки часу?" in third.body
    assert third.button_labels == ["До години", "Понад годину", tr("uk", "Skip »")]
    again_ = (await user.press("Понад годину")).last
    # A yes/no the survey gives no labels for: the bot's own, in the person's language.
    assert "Чи прийшли б ви сюди знову?" in again_.body
    assert again_.button_labels == ["Так", "Ні", tr("uk", "Skip »")]
    fourth = (await user.press("Так")).last
    assert "Що нам варто покращити?" in fourth.body
    assert fourth.button_labels == [tr("uk", "Skip »")]
    assert await responses(bot_core) == []  # nothing stored before the end
    thanks = (await talk.say("Більше столів для видачі.")).last
    assert tr("uk", THANKS) in thanks.body
    assert tr("uk", "📝 Complaint or feedback") in thanks.button_labels

    (response,) = await responses(bot_core)
    assert response.point_id == point.id
    assert (response.language, response.channel) == ("uk", "telegram")
    assert response.created_at == floor_to(clock.now(), HOUR)
    assert response.answers == {
        "satisfied": 4,
        "waited": "yes",
        "wait_long": "over_1h",
        "again": "yes",
        "comment": "Більше столів для видачі.",
    }
    # The draft, which held the answers, is gone: nothing of the point or the answers
    # stays with the person (the menu's buttons carry the point's code).
    storage = DatabaseStorage(bot_core)
    key = StorageKey(int(tg.token.split(":")[0]), user.id, user.id)
    assert await storage.get_data(key) == {} and await storage.get_state(key) is None
    await storage.close()


async def test_a_survey_in_russian_skips_what_does_not_apply_and_a_text_left_out(
    running_bot: BotRuntime, make_user, bot_core: Core
) -> None:
    point = await make_point(bot_core)
    user = await make_user("ru")
    first = (await user.send_command("start", f"fp_{point.code}")).last
    assert "Насколько вы довольны сегодняшней выдачей?" in first.body
    assert "анонимн" in first.body
    waited = (await user.press("2")).last
    # The first question's answer sent again (an old or made-up button): no longer
    # active, and the question shown stays as it is.
    stale = await user.send_callback("v:0:5", message_id=waited.message_id)
    assert stale.callback_answers[-1]["text"] == tr("ru", "This button is no longer active.")
    assert "Вы долго ждали?" in (await user.chat())[-1].body
    # «No»: the question about how long is not asked.
    again = (await user.press("Нет")).last
    assert "Пришли бы вы сюда снова?" in again.body and "Сколько времени?" not in again.body
    assert again.button_labels == ["Да", "Нет", tr("ru", "Skip »")]
    comment = (await user.press(tr("ru", "Skip »"))).last
    assert "Что нам стоит улучшить?" in comment.body
    thanks = (await user.press(tr("ru", "Skip »"))).last
    assert tr("ru", THANKS) in thanks.body
    (response,) = await responses(bot_core)
    assert response.language == "ru"
    assert response.answers == {"satisfied": 2, "waited": "no"}


async def test_people_answer_as_the_end_to_end_test_makes_them(
    running_bot: BotRuntime, make_user, bot_core: Core
) -> None:
    point = await make_point(bot_core)
    await people_answer(
        make_user,
        point.code,
        SURVEY,
        "uk",
        [
            {"satisfied": 5, "waited": "no", "comment": "Дякую!"},
            {"satisfied": 3, "waited": "yes", "wait_long": "under_1h"},
        ],
    )
    await people_answer(make_user, point.code, SURVEY, "ru", [{"satisfied": 1, "waited": "no"}])
    stored = await responses(bot_core)
    assert [(r.language, r.answers) for r in stored] == [
        ("uk", {"satisfied": 5, "waited": "no", "comment": "Дякую!"}),
        ("uk", {"satisfied": 3, "waited": "yes", "wait_long": "under_1h"}),
        ("ru", {"satisfied": 1, "waited": "no"}),
    ]


async def test_a_point_without_a_survey_asks_for_a_rating_tied_to_it(
    running_bot: BotRuntime, make_user, bot_core: Core
) -> None:
    point = await make_point(bot_core, survey=None)
    user = await make_user("en")
    # Typed from the poster's caption in capitals, as people copy a code: it still opens.
    first = (await user.send_command("start", f"FP_{point.code.lower()}")).last
    # The point's programme is set: no question about which assistance.
    assert "Харків, вул. Сумська 12" in first.body
    assert "How satisfied are you with the assistance you received?" in first.body
    await user.press("🙂 Satisfied")
    thanks = (await user.press("Skip »")).last
    assert "Thank you! Your answer helps us improve our assistance." in thanks.body
    assert "📝 Complaint or feedback" in thanks.button_labels
    # A complaint begun from the menu under the thanks is the point's.
    talk = Talk(user, "en")
    await talk.tap("📝 Complaint or feedback")
    await talk.tap(CATEGORY_LABELS["staff_conduct"])
    await talk.tap("Not sure / other")
    await user.press(oblast_label("UA-63", "en"))
    await talk.say("The guard shouted at an old man.")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    # A rating begun from the menu may be about other assistance: not the point's.
    await talk.tap("🏠 Main menu")
    await talk.tap("⭐ Rate our assistance")
    await user.press("Cash assistance")
    await user.press("😐 Neither satisfied nor dissatisfied")
    await talk.tap("Skip »")
    async with bot_core.database.read_only() as session:
        at_point, from_menu = (await session.scalars(select(Rating).order_by(Rating.id))).all()
        assert (at_point.feedback_point_id, at_point.programme, at_point.score) == (
            point.id,
            "food",
            4,
        )
        assert (from_menu.feedback_point_id, from_menu.programme) == (None, "cash")
    (case,) = await stored_cases(bot_core)
    assert case.feedback_point_id == point.id


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("unknown", "This feedback link does not work: it may be incomplete."),
        ("not_yet", "Feedback at this place has not opened yet."),
        ("expired", "Feedback at this place has ended. Thank you for wanting to tell us!"),
    ],
)
async def test_a_code_that_does_not_open_says_so_above_the_menu(
    running_bot: BotRuntime, make_user, bot_core: Core, case: str, words: str
) -> None:
    if case == "unknown":
        code = "ZZZZZZ"
    elif case == "not_yet":
        code = (await make_point(bot_core, opens_in_days=2)).code
    else:
        code = (await make_point(bot_core, opens_in_days=-10, closes_in_days=-1)).code
    for language in ("uk", "en"):
        user = await make_user(language)
        replies = await user.send_command("start", f"fp_{code}")
        assert len(replies) == 1  # one message: why, then the usual first screen
        screen = replies.last
        assert screen.body.startswith("ℹ️ " + tr(language, words))
        assert tr(language, "Everything else here works as usual.") in screen.body
        assert tr(language, "📝 Complaint or feedback") in screen.button_labels
        assert tr(language, "⭐ Rate our assistance") in screen.button_labels
    assert await responses(bot_core) == []


async def test_a_complaint_made_after_opening_a_point_carries_it(
    running_bot: BotRuntime, make_user, bot_core: Core
) -> None:
    point = await make_point(bot_core)
    user = await make_user("uk")
    await answer_survey(user, point.code, SURVEY, "uk", {"satisfied": 2, "waited": "no"})
    talk = Talk(user, "uk")
    # From the menu under the thanks.
    await talk.tap("📝 Complaint or feedback")
    await talk.tap(CATEGORY_LABELS["assistance_quality"])
    await talk.tap("Not sure / other")
    await user.press(oblast_label("UA-63", "uk"))
    await talk.say("Нам видали лише половину набору.")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    # Someone who opened no point: their complaint carries none.
    other = Talk(await make_user("uk"), "uk")
    await other.file_report()
    first, second = await stored_cases(bot_core)
    assert first.feedback_point_id == point.id
    assert second.feedback_point_id is None


async def test_a_required_question_cannot_be_skipped_and_a_long_answer_is_refused(
    running_bot: BotRuntime, make_user, bot_core: Core
) -> None:
    point = await make_point(bot_core)
    user = await make_user("uk")
    first = (await user.send_command("start", f"fp_{point.code}")).last
    # A «Skip» made up for the required scale: no longer active, nothing moves on.
    skipped = await user.send_callback("v:0:-1", message_id=first.message_id)
    assert skipped.callback_answers[-1]["text"] == tr("uk", "This button is no longer active.")
    assert "Наскільки ви задоволені" in (await user.chat())[-1].body
    await user.press("5")
    await user.press("Ні")
    await user.press("Ні")
    replies = await user.send_text("я" * (MAX_TEXT_ANSWER_CHARS + 1))
    assert any(m.body.startswith("Відповідь задовга") for m in replies)
    assert replies.last.button_labels == [tr("uk", "Skip »")]  # the question again
    await user.send_text("Коротко.")
    (response,) = await responses(bot_core)
    assert response.answers == {
        "satisfied": 5,
        "waited": "no",
        "again": "no",
        "comment": "Коротко.",
    }


async def test_a_poster_link_opened_mid_report_asks_about_the_draft_first(
    running_bot: BotRuntime, make_user, bot_core: Core
) -> None:
    point = await make_point(bot_core)
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    await talk.say("Half the kit was missing.")
    asked = (await talk.user.send_command("start", f"fp_{point.code}")).last
    assert asked.button_labels == ["↩️ Continue the draft", "🗑 Delete it, open the menu"]
    # Continued, the report is as it was and carries no point (begun before it).
    await talk.tap("↩️ Continue the draft")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "Half the kit was missing." and case.feedback_point_id is None
    # The poster's link works again once the draft is done with.
    again = (await talk.user.send_command("start", f"fp_{point.code}")).last
    assert "How satisfied are you with today's distribution?" in again.body
