"""First contact, the menu, the language, and commands at any moment."""

from __future__ import annotations

import pytest

from bot.runtime import BotRuntime
from tests.handlers.conversation import Talk, stored_cases, tr
from tgemu import BotHandle

WELCOME = {"uk": "Вітаємо", "ru": "Здравствуйте", "en": "Hello"}


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [("uk", "uk"), ("ru", "ru"), ("en", "en"), ("de", "en"), ("uk-UA", "uk"), (None, "uk")],
)
async def test_first_contact_speaks_the_guessed_language(
    running_bot: BotRuntime, make_user, language_code: str | None, expected: str
) -> None:
    user = await make_user(language_code)
    replies = await user.send_text("/start")
    welcome = replies.last
    assert WELCOME[expected] in welcome.body
    # What is stored, that it is anonymous, how to get help urgently.
    assert "112" in welcome.body
    assert tr(expected, "🔎 Check my report") in welcome.button_labels
    assert tr(expected, "💰 Fraud or corruption") in welcome.button_labels
    # The language row is there from the first message.
    assert {"Українська", "Русский", "English"} <= {
        label.removeprefix("• ") for label in welcome.button_labels
    }


async def test_the_main_menu_has_every_entry(running_bot: BotRuntime, make_user) -> None:
    talk = Talk(await make_user("en"), "en")
    replies = await talk.command("menu")
    assert replies.last.button_labels == [
        "📝 Complaint or feedback",
        "💰 Fraud or corruption",
        "🛡 Sexual exploitation and abuse",
        "🧳 Trafficking or labour exploitation",
        "⭐ Rate our assistance",
        "🔎 Check my report",
        "🌐 Language",
        "🔐 Your data",
    ]


async def test_commands_are_registered_in_each_language(
    running_bot: BotRuntime, tg: BotHandle
) -> None:
    calls = await tg.calls("setMyCommands")
    by_language = {
        call["params"].get("language_code"): call["params"]["commands"] for call in calls
    }
    assert set(by_language) == {"uk", "ru", "en", None}
    names = [c["command"] for c in by_language["en"]]
    assert names == ["start", "menu", "status", "language", "privacy", "cancel", "help"]
    descriptions = {
        lang: {c["command"]: c["description"] for c in cmds} for lang, cmds in by_language.items()
    }
    assert descriptions["uk"]["status"] == "Перевірити моє звернення"
    assert descriptions["ru"]["status"] == "Проверить моё обращение"
    assert descriptions["en"]["status"] == "Check my report"
    assert descriptions[None] == descriptions["uk"]  # the configured default


async def test_language_button_on_the_first_message_redraws_it(
    running_bot: BotRuntime, make_user
) -> None:
    user = await make_user("uk")
    await user.send_text("/start")
    replies = await user.press("English")
    assert "Hello" in replies.last.body
    assert "• English" in replies.last.button_labels
    assert replies.callback_answers[-1]["text"] == "Done: we will talk in English."


async def test_switching_language_mid_flow_keeps_the_draft(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.open_report("assistance_quality")
    await talk.say("Черга була дуже довга.")
    await talk.command("language")
    replies = await talk.user.press("Русский")
    # Back at the same step, now in Russian, with what was written kept.
    assert "Получено: 1 сообщение" in replies.last.body
    talk.language = "ru"
    await talk.say("И нам не дали воду.")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    summary = await talk.user.wait_for(lambda m: "Черга була дуже довга." in m.body)
    assert "И нам не дали воду." in summary.body
    assert "Пожалуйста, проверьте" in summary.body
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.language == "ru"
    assert case.narrative == "Черга була дуже довга.\n\nИ нам не дали воду."


@pytest.mark.parametrize("command", ["help", "privacy"])
async def test_help_and_privacy_mid_flow_keep_the_draft(
    running_bot: BotRuntime, make_user, command: str
) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.command("start")
    await talk.tap("📝 Complaint or feedback")
    await talk.tap("I need information")
    replies = await talk.command(command)
    texts = [m.body for m in replies]
    assert any("How to use this bot" in t or "🔐 Your data" in t for t in texts)
    # And the step we were at comes back, buttons included.
    assert replies.last.body == "Which assistance is this about?"
    assert "Cash assistance" in replies.last.button_labels


async def test_privacy_states_retention_and_anonymity(running_bot: BotRuntime, make_user) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.command("start")
    replies = await talk.tap("🔐 Your data")
    text = replies.last.body
    assert "анонімні" in text
    assert "365 днів" in text and "24 години" in text and "30 днів" in text


async def test_cancel_asks_before_discarding(running_bot: BotRuntime, make_user, bot_core) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    await talk.say("Something happened.")
    replies = await talk.command("cancel")
    assert replies.last.body == "Discard this draft? What you have written will be deleted."
    replies = await talk.tap("↩️ No, continue")
    assert "Received: 1 message" in replies.last.body
    await talk.command("cancel")
    replies = await talk.tap("🗑 Yes, delete it")
    assert any(m.body == "The draft was deleted." for m in replies)
    assert replies.last.body == "What would you like to do?"
    assert await stored_cases(bot_core) == []


async def test_start_in_the_middle_offers_to_continue(running_bot: BotRuntime, make_user) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    await talk.say("Half a story")
    replies = await talk.command("start")
    assert replies.last.body == "You have an unfinished draft. Do you want to continue it?"
    replies = await talk.tap("↩️ Continue the draft")
    assert "Received: 1 message" in replies.last.body
    await talk.command("menu")
    replies = await talk.tap("🗑 Delete it, open the menu")
    assert replies.last.body == "What would you like to do?"
