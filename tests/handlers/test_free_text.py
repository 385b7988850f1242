"""Free text first, and one live menu (issue 12): a person who simply writes or records
what happened ends with a receipt code, and nothing they sent is dropped on the way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.runtime import BotRuntime
from storage.clock import FrozenClock
from storage.models import Attachment
from tests.handlers.conversation import (
    CATEGORY_LABELS,
    PROGRAMME_LABELS,
    SENSITIVE_MENU,
    Talk,
    catalog,
    oblast_label,
    receipt_in,
    stored_cases,
    tr,
)

STORY = {
    "uk": "Нам не видали продуктовий набір, хоча ми були в списку.",
    "en": "We were on the list but got no food kit.",
}
KEPT = "✍️ Thank you. I have kept what you sent: it is the start of your report. What is it about?"
VOICE = (
    "🎙 In voice messages your voice will be changed to make it much harder to recognise; "
    "your words stay as they are."
)


@pytest.mark.parametrize("language", ["uk", "en"])
async def test_a_story_typed_as_the_very_first_message_becomes_a_report(
    running_bot: BotRuntime, make_user, bot_core, language: str
) -> None:
    talk = Talk(await make_user(language), language)
    asked = (await talk.say(STORY[language])).last
    assert asked.body == tr(language, KEPT)
    # Every category is offered, the sensitive ones included.
    for label in (*CATEGORY_LABELS.values(), *SENSITIVE_MENU.values()):
        assert tr(language, label) in asked.button_labels
    await talk.tap(CATEGORY_LABELS["assistance_request"])
    await talk.user.press(PROGRAMME_LABELS["food"][language])
    description = (await talk.user.press(oblast_label("UA-32", language))).last
    one = catalog(language).ngettext("{count} message", "{count} messages", 1)
    assert one.format(count=1) in description.body
    assert tr(language, VOICE) in description.body
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    receipt_in((await talk.tap("✅ Send")).last.body)
    (case,) = await stored_cases(bot_core)
    assert (case.category, case.programme, case.oblast) == ("assistance_request", "food", "UA-32")
    assert case.narrative == STORY[language]


async def test_a_voice_message_at_the_menu_and_back_from_a_sensitive_intro(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.command("start")
    asked = (await talk.user.send_voice()).last
    assert asked.body == f"{KEPT}\n\n{VOICE}"
    await talk.tap(SENSITIVE_MENU["trafficking"])
    # «Back» on the safe-referral screen chooses another category; it discards nothing.
    again = (await talk.tap("« Back")).last
    assert again.body.startswith(KEPT)
    await talk.tap(SENSITIVE_MENU["sexual_exploitation"])
    await talk.tap("Continue »")
    await talk.tap("Not sure / other")
    await talk.user.press(oblast_label("undisclosed", "en"))
    await talk.say("He said I would lose the assistance.")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert (case.category, case.sensitive) == ("sexual_exploitation", True)
    async with bot_core.database.transaction() as session:
        files = (await session.scalars(select(Attachment))).all()
    assert [f.kind for f in files] == ["voice"]


async def test_text_sent_where_a_button_is_expected_is_kept(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.command("start")
    await talk.tap("📝 Complaint or feedback")
    await talk.tap(CATEGORY_LABELS["staff_conduct"])
    replies = await talk.say("Працівник кричав на людей.")
    # One new message: it was kept, and the question again with its buttons below what
    # they wrote; the question above lost its buttons.
    question = tr("uk", "Which assistance is this about?")
    assert [(m.body, bool(m.buttons)) for m in replies] == [
        (question, False),
        ("✍️ Додано до вашого опису: 1 повідомлення. Тепер оберіть кнопками.\n\n" + question, True),
    ]
    await talk.tap("Not sure / other")
    await talk.user.press(oblast_label("UA-46", "uk"))
    await talk.say("Це було вчора.")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    # At the summary too: added, and the summary shows it.
    summary = (await talk.say("І ще одне.")).last
    assert "І ще одне." in summary.body
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "Працівник кричав на людей.\n\nЦе було вчора.\n\nІ ще одне."


async def test_only_the_newest_menu_is_live(running_bot: BotRuntime, make_user, bot_core) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.command("start")
    welcome = talk.user.last_bot_message()
    assert welcome is not None
    await talk.command("language")
    await talk.command("menu")
    await talk.tap("📝 Complaint or feedback")
    await talk.tap(CATEGORY_LABELS["suggestion"])
    await talk.tap("Not sure / other")
    await talk.user.press(oblast_label("abroad", "en"))
    await talk.say("Please open on Saturdays.")
    # Every older message has lost its buttons: one step is live.
    with_buttons = [m for m in await talk.user.chat() if m.from_bot and m.buttons]
    assert [m.body for m in with_buttons] == ["Received: 1 message. Send more, or press «Done»."]
    # An old main menu pressed anyway does not take the person out of the draft.
    replies = await talk.user.send_callback("m:rate", message_id=welcome.message_id)
    assert replies.callback_answers[-1]["text"] == "This button is no longer active."
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert (case.category, case.narrative) == ("suggestion", "Please open on Saturdays.")


async def test_a_voice_message_that_cannot_be_read_keeps_the_draft(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.open_report("assistance_quality")
    await talk.say("Спершу текст.")
    replies = await talk.user.send_voice(b"OggS but not really an Ogg stream")
    unreadable = tr(
        "uk",
        "I could not process this voice message, so it was not added. Please record it "
        "again, or write what happened.",
    )
    assert any(m.body == unreadable for m in replies)
    assert replies.last.button_labels[0] == tr("uk", "✅ Done")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "Спершу текст."
    async with bot_core.database.transaction() as session:
        assert (await session.scalars(select(Attachment))).all() == []


async def test_the_chosen_language_is_kept_after_the_draft_has_expired(
    running_bot: BotRuntime, make_user, clock: FrozenClock
) -> None:
    user = await make_user("uk")
    await user.send_text("/start")
    await user.press("English")
    clock.advance(timedelta(days=30))  # drafts are long gone; the choice is not
    replies = await user.send_text("/start")
    assert "Hello" in replies.last.body
    clock.advance(timedelta(days=91))
    replies = await user.send_text("/start")
    assert "Вітаємо" in replies.last.body  # 90 days idle: back to Telegram's language
