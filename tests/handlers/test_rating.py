"""Satisfaction and the handling question after a case is closed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.runtime import BotRuntime
from storage.models import Case, Rating
from storage.services.ratings import MAX_COMMENT_CHARS
from tests.handlers.conversation import PROGRAMME_LABELS, Talk, stored_cases, tr
from tests.storage.helpers import TO_CLOSED, make_staff, walk_case


async def ratings(core) -> list[Rating]:  # type: ignore[no-untyped-def]
    async with core.database.transaction() as session:
        return list((await session.scalars(select(Rating).order_by(Rating.id))).all())


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
async def test_a_good_rating_with_a_comment(
    running_bot: BotRuntime, make_user, bot_core, language: str
) -> None:
    talk = Talk(await make_user(language), language)
    await talk.command("menu")
    await talk.tap("⭐ Rate our assistance")
    scores = (await talk.user.press(PROGRAMME_LABELS["cash"][language])).last
    assert scores.body == tr(language, "How satisfied are you with the assistance you received?")
    faces = [label.split(" ", 1)[0] for label in scores.button_labels[:5]]
    assert faces == ["😄", "🙂", "😐", "🙁", "😞"]
    await talk.user.press(f"🙂 {tr(language, 'Satisfied')}")
    thanks = (await talk.say("Все вчасно.")).last
    assert thanks.body == tr(language, "Thank you! Your answer helps us improve our assistance.")
    (rating,) = await ratings(bot_core)
    assert (rating.programme, rating.score, rating.reasons, rating.comment, rating.language) == (
        "cash",
        4,
        [],
        "Все вчасно.",
        language,
    )


async def test_a_low_score_asks_what_went_wrong(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.command("menu")
    await talk.tap("⭐ Rate our assistance")
    await talk.tap("Not sure / other")
    reasons = (await talk.user.press(f"😞 {tr('uk', 'Very dissatisfied')}")).last
    assert reasons.body.startswith("Що було не так?")
    await talk.user.press(f"▫️ {tr('uk', 'Waiting time')}")
    await talk.user.press(f"▫️ {tr('uk', 'How I was treated')}")
    toggled = (await talk.user.press(f"✅ {tr('uk', 'How I was treated')}")).last
    assert f"✅ {tr('uk', 'Waiting time')}" in toggled.button_labels
    assert f"▫️ {tr('uk', 'How I was treated')}" in toggled.button_labels
    # Going on reads as an action, not as one more option ticked with ✅.
    assert toggled.button_labels[-1] == tr("uk", "Continue »") == "Далі »"
    assert not any(label.startswith("✅ Готово") for label in toggled.button_labels)
    await talk.tap("Continue »")
    await talk.tap("Skip »")
    (rating,) = await ratings(bot_core)
    assert (rating.programme, rating.score, rating.reasons, rating.comment) == (
        None,
        1,
        ["waiting_time"],
        None,
    )


async def test_a_closed_case_asks_once_how_it_was_handled(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.file_report(contact="💬 Reply in this chat")
    (case,) = await stored_cases(bot_core)
    operator = await make_staff(bot_core, "olena", "operator")
    await walk_case(bot_core, case.ref, operator, *TO_CLOSED)
    running_bot.worker.wake()
    question = await talk.user.wait_for(lambda m: "has been closed. How satisfied" in m.body)
    assert len(question.buttons) == 5
    answered = await talk.user.press("🙂 Satisfied", message_id=question.message_id)
    assert answered.callback_answers[-1]["text"] == "Thank you for your answer!"
    edited = next(m for m in await talk.user.chat() if m.message_id == question.message_id)
    assert edited.buttons == () and "Satisfied" in edited.body
    async with bot_core.database.transaction() as session:
        stored = await session.get(Case, case.id)
    assert stored is not None and stored.handling_score == 4
    (rating,) = await ratings(bot_core)
    assert (rating.kind, rating.case_id, rating.score) == ("handling", case.id, 4)


async def test_a_comment_too_long_gets_its_own_answer(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("ru"), "ru")
    await talk.command("menu")
    await talk.tap("⭐ Rate our assistance")
    await talk.tap("Not sure / other")
    await talk.user.press(f"🙂 {tr('ru', 'Satisfied')}")
    replies = await talk.say("о" * (MAX_COMMENT_CHARS + 1))
    notice = next(m for m in replies if m.body.startswith("Комментарий слишком длинный"))
    assert str(MAX_COMMENT_CHARS) in notice.body and "«Пропустить»" in notice.body
    # The comment step again, with the «Skip» it speaks of (no «Done» on this screen).
    assert replies.last.button_labels == [tr("ru", "Skip »")]
    await talk.say("Коротко.")
    (rating,) = await ratings(bot_core)
    assert (rating.score, rating.comment) == (4, "Коротко.")
