"""Follow-up by receipt code: status, replies in the reporter's language, additions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.runtime import BotRuntime
from storage.clock import FrozenClock
from storage.enums import Language, Status
from storage.models import Attachment, CaseAddition
from storage.sealed import Context, Sealer
from storage.services.triage import CaseChanges, TriageService
from tests.handlers.conversation import Talk, stored_cases, tr
from tests.storage.helpers import make_staff


async def staff_acknowledge_and_reply(core, ref: str, bodies: dict[Language, str]) -> None:  # type: ignore[no-untyped-def]
    operator = await make_staff(core, "olena", "operator")
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        case = await service.get_visible(ref, operator)
        await service.update(
            ref,
            operator,
            expected_version=case.version,
            changes=CaseChanges(status=Status.ACKNOWLEDGED),
        )
        await service.add_reply(ref, operator, bodies)


@pytest.mark.parametrize(
    ("language", "status_word", "reply"),
    [
        ("uk", "прийнято", "Ми перевіряємо список отримувачів."),
        ("ru", "принято", "Мы проверяем список получателей."),
        ("en", "acknowledged", "We are checking the list of recipients."),
    ],
)
async def test_status_shows_replies_in_the_reporters_language(
    running_bot: BotRuntime,
    make_user,
    bot_core,
    clock: FrozenClock,
    language: str,
    status_word: str,
    reply: str,
) -> None:
    talk = Talk(await make_user(language), language)
    code = await talk.file_report()
    (case,) = await stored_cases(bot_core)
    clock.advance(timedelta(days=1))
    await staff_acknowledge_and_reply(
        bot_core,
        case.ref,
        {
            Language.UK: "Ми перевіряємо список отримувачів.",
            Language.RU: "Мы проверяем список получателей.",
            Language.EN: "We are checking the list of recipients.",
        },
    )
    await talk.command("status")
    view = (await talk.say(code.replace(" ", "-"))).last
    assert status_word in view.body
    assert reply in view.body
    assert {"uk": "3 березня 2026", "ru": "3 марта 2026", "en": "March 3, 2026"}[
        language
    ] in view.body
    assert tr(language, "➕ Add information") in view.button_labels


async def test_a_reply_only_in_english_is_shown_to_a_ukrainian_reporter(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    code = await talk.file_report()
    (case,) = await stored_cases(bot_core)
    await staff_acknowledge_and_reply(bot_core, case.ref, {Language.EN: "Thank you, noted."})
    await talk.command("status")
    view = (await talk.say(code)).last
    assert "Thank you, noted." in view.body


async def test_no_replies_yet(running_bot: BotRuntime, make_user) -> None:
    talk = Talk(await make_user("ru"), "ru")
    code = await talk.file_report()
    await talk.tap("🏠 Main menu")  # on the receipt message
    await talk.tap("🔎 Check my report")
    view = (await talk.say(code)).last
    assert "Ответов пока нет." in view.body and "новое" in view.body


async def test_adding_information_to_the_same_case(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("en"), "en")
    code = await talk.file_report(category="fraud_corruption", parts=["They asked for money."])
    await talk.command("status")
    await talk.say(code)
    prompt = (await talk.tap("➕ Add information")).last
    assert prompt.body.startswith("Send what you want to add")
    await talk.say("It was 500 hryvnias.")
    await talk.user.send_photo()
    replies = await talk.tap("✅ Done")
    assert any(m.body == "✅ Added to your report. Thank you." for m in replies)
    (case,) = await stored_cases(bot_core)
    async with bot_core.database.transaction() as session:
        additions = (await session.scalars(select(CaseAddition))).all()
        files = (await session.scalars(select(Attachment))).all()
        addition = additions[0]
        text = Sealer(bot_core.crypto).read(addition.body, addition.body_enc, Context.ADDITION)
    assert text == "It was 500 hryvnias."
    assert additions[0].body is None  # a sensitive case: encrypted
    assert [f.addition_id for f in files] == [additions[0].id]
    assert case.reporter_updated_at is not None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1234 5678", "Код звернення має 16 цифр, а ви ввели 8."),
        ("1234 5678 9012 345X", "Код звернення складається лише з цифр."),
        ("0000 0000 0000 0000", "Звернення з таким кодом не знайдено."),
    ],
)
async def test_wrong_codes_get_a_clear_answer(
    running_bot: BotRuntime, make_user, typed: str, expected: str
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.command("status")
    replies = await talk.say(typed)
    assert replies.last.body.startswith(expected)
    # Still asking for the code: the person can try again straight away.
    assert tr("uk", "✖️ Cancel") in replies.last.button_labels


async def test_five_wrong_codes_then_a_polite_wait(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    talk = Talk(await make_user("en"), "en")
    code = await talk.file_report()
    await talk.command("status")
    flood = running_bot.dp["flood"]

    def typing_a_code() -> None:
        # A person needs seconds to type 16 digits; the flood gate's clock moves on as it
        # would (the test itself types them in milliseconds, which is a flood).
        later = flood.clock() + 5
        flood.clock = lambda: later

    for i in range(5):
        typing_a_code()
        replies = await talk.say(f"{i:016d}")
        assert replies.last.body.startswith("No report has this code")
    typing_a_code()
    replies = await talk.say(code)  # even the right code must wait now
    assert replies.last.body.startswith(
        "Too many wrong codes. To keep reports safe, please wait 60 minutes"
    )
    assert "Answers from the team" not in replies.last.body
