"""Bad input never loses a draft: each gets a short, polite answer in the
person's language that says what to do next, and the report is still filed in full."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.runtime import BotRuntime
from tests.handlers.conversation import (
    Talk,
    catalog,
    oblast_label,
    settled,
    stored_cases,
    tr,
)
from tgemu import BotHandle, Replies, SimulatedUser

FIRST_PART = "Нам не видали зимовий набір."
Send = Callable[[SimulatedUser], Awaitable[Replies]]

UNSUPPORTED_TEXT = (
    "I do not accept this kind of message. I understand text, photos, documents and voice messages."
)
# In the description, each refusal says what to do there.
NO_LOCATIONS = "To keep you safe, I do not accept locations. You can describe the place in words."
NO_CONTACTS = "To protect your privacy, I do not accept contact cards."
NO_VIDEOS = (
    "I cannot accept videos: they may show where and when they were filmed. Please send "
    "photos or describe it in words."
)
UNSUPPORTED: dict[str, tuple[Send, str]] = {
    "sticker": (lambda u: u.send_sticker(), UNSUPPORTED_TEXT),
    "gif": (lambda u: u.send_animation(), UNSUPPORTED_TEXT),
    "poll": (lambda u: u.send_poll("Чи?", ["Так", "Ні"]), UNSUPPORTED_TEXT),
    "location": (lambda u: u.send_location(49.99, 36.23), NO_LOCATIONS),
    "contact": (lambda u: u.send_contact("+380671234567", first_name="Оля"), NO_CONTACTS),
    "video note": (lambda u: u.send_video_note(), NO_VIDEOS),
    "video": (lambda u: u.send_video(), NO_VIDEOS),
}


async def finish(talk: Talk) -> None:
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")


@pytest.mark.parametrize("kind", sorted(UNSUPPORTED))
@pytest.mark.parametrize("language", ["uk", "ru", "en"])
async def test_unsupported_messages_in_the_description(
    running_bot: BotRuntime, make_user, bot_core, kind: str, language: str
) -> None:
    talk = Talk(await make_user(language), language)
    await talk.open_report("assistance_quality")
    await talk.say(FIRST_PART)
    send, answer = UNSUPPORTED[kind]
    replies = await send(talk.user)
    # One message: what was refused and why, then the step again, with its buttons.
    (said,) = [m for m in replies if m.from_bot]
    one = catalog(language).ngettext("{count} message", "{count} messages", 1).format(count=1)
    assert said.body == tr(language, answer) + "\n\n" + tr(
        language, "Received: {what}. Send more, or press «Done».", what=one
    )
    assert tr(language, "✅ Done") in said.button_labels
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert case.narrative == FIRST_PART


async def test_a_location_where_the_oblast_is_asked(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("ru"), "ru")
    await talk.command("start")
    await talk.tap("📝 Complaint or feedback")
    await talk.tap("I need assistance")
    await talk.tap("Not sure / other")
    replies = await talk.user.send_location(50.45, 30.52)
    assert replies.last.body == (
        "Ради вашей безопасности я не принимаю геолокацию. Выберите область кнопками или "
        "опишите место словами.\n\n" + tr("ru", "Where did it happen? Choose the oblast.")
    )
    assert oblast_label("UA-30", "ru") in replies.last.button_labels
    await talk.user.press(oblast_label("UA-30", "ru"))
    await talk.say("Нужна помощь с документами.")
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert (case.oblast, case.category) == ("UA-30", "assistance_request")


async def test_a_description_over_the_limit(running_bot: BotRuntime, make_user, bot_core) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.open_report("assistance_quality")
    first = "а" * 4000
    await talk.say(first)
    replies = await talk.say("б" * 2500)  # 4000 + 2 + 2500 > 6000
    assert any(
        m.body.startswith("Це повідомлення задовге: у звернення вміститься ще 1998 символів")
        for m in replies
    )
    await talk.say("Коротко.")
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert case.narrative == first + "\n\nКоротко."


async def test_done_with_an_empty_description(running_bot: BotRuntime, make_user, bot_core) -> None:
    talk = Talk(await make_user("en"), "en")
    asked = (await talk.open_report("assistance_quality")).last
    # Nothing to be done with yet: the question has no «Done» (nor old buttons to strip).
    assert asked.body.startswith("Describe what happened") and asked.buttons == ()
    # A «Done» pressed anyway (an old or forged button) is told the description is empty.
    replies = await talk.user.send_callback("d:report", message_id=asked.message_id)
    assert replies.last.body.startswith("The description is still empty.")
    replies = await talk.say("Now there is text.")
    assert "✅ Done" in replies.last.button_labels
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "Now there is text."


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
async def test_text_where_a_button_is_expected(
    running_bot: BotRuntime, make_user, language: str
) -> None:
    # (In a report, such text is kept for the description: see test_free_text.)
    talk = Talk(await make_user(language), language)
    await talk.command("start")
    await talk.tap("⭐ Rate our assistance")
    await talk.tap("Not sure / other")
    replies = await talk.say("Я просто напишу")
    assert replies.last.body == tr(
        language, "Please choose one of the options with the buttons."
    ) + "\n\n" + tr(language, "How satisfied are you with the assistance you received?")
    assert len(replies.last.button_labels) >= 5


async def test_a_button_from_an_old_message(running_bot: BotRuntime, make_user, bot_core) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    menu = (await talk.command("menu")).last  # asks to continue the draft
    await talk.tap("↩️ Continue the draft")
    await talk.say(FIRST_PART)
    # A category button, pressed again on a message that no longer offers it.
    replies = await talk.user.send_callback("c:staff_conduct", message_id=menu.message_id)
    assert replies.callback_answers[-1]["text"] == "This button is no longer active."
    assert "Received: 1 message" in replies.last.body
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert (case.category, case.narrative) == ("assistance_quality", FIRST_PART)


@pytest.mark.parametrize("data", ["zz:forged", "c:weather", "h:999999:5", "g:9", "p:space"])
async def test_a_foreign_or_forged_button(
    running_bot: BotRuntime, make_user, bot_core, data: str
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.command("start")
    welcome = talk.user.last_bot_message()
    assert welcome is not None
    await talk.tap("⭐ Rate our assistance")
    replies = await talk.user.send_callback(data, message_id=welcome.message_id)
    assert replies.callback_answers[-1]["text"] == tr("uk", "This button is no longer active.")
    on_screen = [m for m in await talk.user.chat() if m.from_bot][-1]
    assert on_screen.body == tr("uk", "Which assistance would you like to rate?")
    assert on_screen.buttons != ()
    assert await stored_cases(bot_core) == []


async def test_an_edited_message_keeps_what_was_sent(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.open_report("assistance_quality")
    sent = await talk.say(FIRST_PART)
    mine = next(m for m in await talk.user.chat() if not m.from_bot and m.body == FIRST_PART)
    replies = await talk.user.edit(mine.message_id, "Змінений текст")
    assert replies.last.body == tr(
        "uk",
        "Changes to a message already sent are not taken into account. Please send the "
        "correction as a new message.",
    )
    assert sent.last is not None
    await talk.say("Виправлення: це було вчора.")
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert case.narrative == FIRST_PART + "\n\nВиправлення: це було вчора."


@pytest.mark.parametrize("command", ["status", "foo"])
async def test_a_command_in_the_middle_of_a_flow(
    running_bot: BotRuntime, make_user, bot_core, command: str
) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    await talk.say(FIRST_PART)
    replies = await talk.command(command)
    if command == "status":
        assert replies.last.body == "You have an unfinished draft. Do you want to continue it?"
        await talk.tap("↩️ Continue the draft")
    else:
        assert replies.last.body.startswith(
            "I did not understand that. Please choose from the menu.\n\nReceived: 1 message"
        )
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert case.narrative == FIRST_PART


async def test_flooding_gets_one_polite_answer_and_keeps_the_draft(
    running_bot: BotRuntime, make_user, bot_core, tg: BotHandle
) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    await talk.say("Part zero.")
    for i in range(1, 41):
        await talk.user.send_text(f"Part {i}.", wait=False)
    await settled(running_bot, tg)
    warnings = [
        m
        for m in await talk.user.chat()
        if m.body.startswith("You are sending messages very fast.")
    ]
    assert len(warnings) == 1
    # The person waits a few seconds, as asked: the flood clock moves on (no sleeping here).
    flood = running_bot.dp["flood"]
    later = flood.clock() + 60
    flood.clock = lambda: later
    await finish(talk)
    (case,) = await stored_cases(bot_core)
    assert case.narrative is not None
    parts = case.narrative.split("\n\n")
    # Everything up to the slow-down was kept, in order; the rest was refused, not lost silently.
    assert parts[0] == "Part zero." and parts == [
        f"Part {i}." if i else "Part zero." for i in range(len(parts))
    ]
    assert 1 < len(parts) < 41
