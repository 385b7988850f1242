"""One message per step (issue 20): Telegram's overall limit of about thirty messages a
second is the ceiling for everyone filing at once, so every message spent on
housekeeping is a step someone else waits for.

A step answered by a button edits that message into the next question; a new message
comes only after something the person sent. Messages with the privacy notice, referral
lines or the receipt are never edited away. Typed bursts are answered once."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.runtime import BotRuntime
from tests.handlers.conversation import (
    CATEGORY_LABELS,
    PROGRAMME_LABELS,
    Talk,
    oblast_label,
    receipt_in,
    settled,
    stored_cases,
    tr,
)
from tests.harness import BotFactory
from tgemu import BotHandle

# The calls that put or change a message in a chat: what Telegram's overall limit counts.
MESSAGES = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto"}
# A window long enough that a test's quick lines always fall inside it.
WINDOW = 1.0


async def calls_since(tg: BotHandle, seq: int, chat_id: int) -> list[dict[str, Any]]:
    return [c for c in await tg.calls() if c["seq"] > seq and c.get("chat_id") == chat_id]


def spent(calls: list[dict[str, Any]]) -> Counter[str]:
    return Counter(c["method"] for c in calls if c["method"] in MESSAGES)


async def test_a_whole_report_costs_at_most_1_1_messages_per_step(
    running_bot: BotRuntime, make_user, tg: BotHandle, bot_core
) -> None:
    talk = Talk(await make_user("en"), "en")
    user = talk.user
    since = (await tg.state())["seq"]
    per_step: list[Counter[str]] = []

    async def step(action: Any) -> None:
        before = (await tg.state())["seq"]
        await action
        per_step.append(spent(await calls_since(tg, before, user.id)))

    await step(talk.command("start"))
    await step(talk.tap("📝 Complaint or feedback"))
    await step(talk.tap(CATEGORY_LABELS["assistance_quality"]))
    await step(user.press(PROGRAMME_LABELS["food"]["en"]))
    await step(user.press(oblast_label("UA-63", "en")))
    await step(talk.say("We received only half of the food kit."))
    await step(user.send_photo(caption="The list they showed us"))
    await step(talk.tap("✅ Done"))
    await step(talk.tap("🔒 Anonymous"))
    await step(talk.tap("✅ Send"))

    total = sum(spent(await calls_since(tg, since, user.id)).values())
    assert total <= 1.1 * len(per_step), per_step
    assert [sum(c.values()) for c in per_step] == [
        1,  # the welcome
        2,  # the welcome keeps its privacy notice: the categories come below it
        1,  # each button edits its message into the next question
        1,
        1,  # ... into "Describe what happened", which has no buttons yet
        1,  # the tally with «Done»: nothing live above to strip
        1,  # a new tally (the old one is deleted, which Telegram does not count)
        1,
        1,
        1,  # the summary becomes the receipt
    ]
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "We received only half of the food kit.\n\nThe list they showed us"


async def test_a_button_edits_its_message_into_the_next_question_and_the_summary_shows_all(
    running_bot: BotRuntime, make_user
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.command("start")
    categories = (await talk.tap("📝 Complaint or feedback")).last
    programmes = (await talk.tap(CATEGORY_LABELS["staff_conduct"])).last
    oblasts = (await talk.tap("Not sure / other")).last
    describe = (await talk.user.press(oblast_label("UA-46", "uk"))).last
    assert categories.message_id == programmes.message_id == oblasts.message_id
    assert describe.message_id == oblasts.message_id
    await talk.say("Працівник кричав на людей.")
    contact = (await talk.tap("✅ Done")).last
    summary = (await talk.tap("🔒 Anonymous")).last
    assert summary.message_id == contact.message_id
    # The answers were edited away one by one: the summary lists every one of them.
    for line in (
        tr("uk", "Topic: {value}", value=tr("uk", "Behaviour of staff or partners")),
        tr("uk", "Assistance: {value}", value=tr("uk", "not specified")),
        "Львівська область",
        tr("uk", "Contact: {value}", value=tr("uk", "Anonymous")),
        "Працівник кричав на людей.",
    ):
        assert line in summary.body


async def test_the_privacy_notice_referral_lines_and_receipt_are_never_edited_away(
    running_bot: BotRuntime, make_user
) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.command("start")
    welcome = talk.user.last_bot_message()
    assert welcome is not None and "🔒 Your report is anonymous" in welcome.body
    await talk.tap("🛡 Sexual exploitation and abuse")
    intro = talk.user.last_bot_message()
    assert intro is not None and "If you need help now, call" in intro.body
    await talk.tap("Continue »")
    await talk.tap("Not sure / other")
    await talk.user.press(oblast_label("UA-63", "en"))
    await talk.say("It happened at the distribution point.")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    code = receipt_in((await talk.tap("✅ Send")).last.body)
    await talk.tap("🏠 Main menu")
    chat = {m.message_id: m for m in await talk.user.chat()}
    # Still there, word for word, with their buttons taken off.
    assert chat[welcome.message_id].body == welcome.body
    assert chat[intro.message_id].body == intro.body
    assert not chat[welcome.message_id].buttons and not chat[intro.message_id].buttons
    receipts = [m for m in chat.values() if code in m.body]
    assert len(receipts) >= 1 and all(m.from_bot for m in receipts)


async def test_a_five_line_burst_at_a_button_step_is_answered_once(
    start_bot: BotFactory, make_user, tg: BotHandle, bot_core
) -> None:
    runtime = await start_bot(gather_window=WINDOW)
    talk = Talk(await make_user("ru"), "ru")
    await talk.command("start")
    await talk.tap("📝 Complaint or feedback")
    question = (await talk.tap(CATEGORY_LABELS["staff_conduct"])).last
    since = (await tg.state())["seq"]
    lines = [f"Строка {n}." for n in range(1, 6)]
    for line in lines:
        await talk.user.send_text(line, wait=False)
    await settled(runtime, tg)

    calls = await calls_since(tg, since, talk.user.id)
    # The first line: the answer with the buttons, the question above stripped of its own;
    # the four after it: one edit of that answer when the window closed. Today's two
    # messages a line would be ten.
    assert spent(calls) == Counter(
        {"sendMessage": 1, "editMessageReplyMarkup": 1, "editMessageText": 1}
    )
    answer = [m for m in await talk.user.chat() if m.from_bot][-1]
    assert answer.body.startswith(
        "✍️ Добавлено в ваше описание: 5 сообщений. Теперь выберите кнопками."
    )
    assert answer.body.endswith(tr("ru", "Which assistance is this about?"))
    assert answer.button_labels == question.button_labels
    await talk.tap("Not sure / other")
    await talk.user.press(oblast_label("UA-30", "ru"))
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "\n\n".join(lines)


async def test_a_five_line_burst_in_the_description_is_answered_once(
    start_bot: BotFactory, make_user, tg: BotHandle, bot_core
) -> None:
    runtime = await start_bot(gather_window=WINDOW)
    talk = Talk(await make_user("uk"), "uk")
    await talk.open_report("assistance_quality")
    since = (await tg.state())["seq"]
    lines = [f"Рядок {n}." for n in range(1, 6)]
    for line in lines:
        await talk.user.send_text(line, wait=False)
    await settled(runtime, tg)
    assert spent(await calls_since(tg, since, talk.user.id)) == Counter(
        {"sendMessage": 1, "editMessageText": 1}
    )
    tally = [m for m in await talk.user.chat() if m.from_bot][-1]
    assert tally.body == "Отримано: 5 повідомлень. Надішліть ще або натисніть «Готово»."
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "\n\n".join(lines)


async def test_waiting_for_the_bot_waits_for_a_gathered_answer(
    start_bot: BotFactory, make_user
) -> None:
    await start_bot(gather_window=WINDOW)
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    await talk.say("First line.")
    # Within the window: nothing is sent at once. The wait returns only once the bot is
    # idle, and a gathered answer still to be made counts as work in flight.
    replies = await talk.say("Second line.")
    assert replies.last.body == "Received: 2 messages. Send more, or press «Done»."
