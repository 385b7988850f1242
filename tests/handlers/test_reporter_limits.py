"""Abuse of the reporter side (issue 10), end to end through the bot: receipt lookups
under a flood of guesses, survey buttons bound to their chat, daily quotas, and no
timing trail once a flow has ended."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from bot.runtime import BotRuntime
from storage.clock import FrozenClock
from storage.models import (
    Case,
    ConversationState,
    LanguagePreference,
    ProcessedUpdate,
    Rating,
    ThrottleCounter,
)
from storage.services.throttle import RECEIPT_WINDOW, ReporterQuota, Throttle
from tests.handlers.conversation import PROGRAMME_LABELS, Talk, stored_cases, tr
from tests.storage.helpers import TO_CLOSED, make_staff, walk_case
from tgemu import samples

ODD_MOMENT = datetime(2026, 3, 2, 9, 17, 23, 456000, tzinfo=UTC)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def rows(core, model):  # type: ignore[no-untyped-def]
    async with core.database.transaction() as session:
        return list((await session.scalars(select(model))).all())


# Receipt lookups -------------------------------------------------------------------------


async def test_a_correct_code_opens_its_case_when_the_global_cap_is_used_up(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    bot_core.settings.receipt_global_failures_per_hour = 10
    bot_core.settings.receipt_pressure_delay_seconds = 0.01
    talk = Talk(await make_user("en"), "en")
    code = await talk.file_report()
    async with bot_core.database.transaction() as session:
        await Throttle(session, bot_core.clock).hit(
            "receipt:global", window=RECEIPT_WINDOW, amount=10
        )
    delayed = sample("holos_bot_receipt_lookups_delayed_total")
    await talk.command("status")
    view = (await talk.say(code)).last
    assert tr("en", "➕ Add information") in view.button_labels
    assert "Too many wrong codes" not in view.body
    assert sample("holos_bot_receipt_lookups_delayed_total") == delayed + 1


# Survey buttons --------------------------------------------------------------------------


async def test_a_survey_button_works_only_in_its_own_chat_and_as_sent(
    running_bot: BotRuntime, make_user, bot_core, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    talk = Talk(await make_user("en"), "en")
    await talk.file_report(contact="💬 Reply in this chat")
    (case,) = await stored_cases(bot_core)
    operator = await make_staff(bot_core, "olena", "operator")
    await walk_case(bot_core, case.ref, operator, *TO_CLOSED)
    running_bot.worker.wake()
    question = await talk.user.wait_for(lambda m: "has been closed. How satisfied" in m.body)
    genuine = question.button("😞 Very dissatisfied").callback_data
    assert genuine is not None and len(genuine.encode()) <= 64
    prefix, ref, score, sig = genuine.split(":")
    assert (prefix, score) == ("h", "1")

    other = Talk(await make_user("uk"), "uk")
    await other.command("start")
    foreign = other.user.last_bot_message()
    assert foreign is not None
    stale = tr("uk", "This button is no longer active.")
    # The very payload, copied into another chat: someone else's case is not theirs to rate.
    replies = await other.user.send_callback(genuine, message_id=foreign.message_id)
    assert replies.callback_answers[-1]["text"] == stale
    # In the right chat, but altered or made up: the score, the ref, the signature.
    for forged in (
        f"h:{ref}:5:{sig}",
        f"h:{int(ref) + 1}:1:{sig}",
        f"h:{ref}:1:{'A' * len(sig)}",
        f"h:{ref}:1",
        f"h:{ref}:x:{sig}",
        "h:::",
    ):
        replies = await talk.user.send_callback(forged, message_id=question.message_id)
        assert replies.callback_answers[-1]["text"] == "This button is no longer active."
    stored = await rows(bot_core, Rating)
    assert stored == []
    async with bot_core.database.transaction() as session:
        unrated = await session.get(Case, case.id)
    assert unrated is not None and unrated.handling_score is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The button as sent still works.
    answered = await talk.user.press("😞 Very dissatisfied", message_id=question.message_id)
    assert answered.callback_answers[-1]["text"] == "Thank you for your answer!"
    (rating,) = await rows(bot_core, Rating)
    assert (rating.case_id, rating.score) == (case.id, 1)


# Daily quotas ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
async def test_past_the_daily_report_quota_the_draft_waits_for_tomorrow(
    running_bot: BotRuntime, make_user, bot_core, clock: FrozenClock, language: str
) -> None:
    bot_core.settings.reports_per_day = 1
    bot_core.settings.hotline_phone = "0 800 000 000"
    reached = sample("holos_bot_quota_reached_total", quota="reports")
    talk = Talk(await make_user(language), language)
    await talk.file_report()
    await talk.open_report("assistance_quality")
    await talk.say("Знову не вистачило наборів.")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    replies = await talk.tap("✅ Send")
    notice = replies.last.body
    first = notice.split("\n\n")[0]
    expected_start = {
        "uk": "Ваше звернення збережено тут як чернетку.",
        "ru": "Ваше обращение сохранено здесь как черновик.",
        "en": "Your report is kept here as a draft.",
    }[language]
    assert first.startswith(expected_start)
    assert "02:00" in first  # midnight UTC, told in Kyiv time
    assert "112" in notice and "0 800 000 000" in notice
    assert len(await stored_cases(bot_core)) == 1
    assert sample("holos_bot_quota_reached_total", quota="reports") == reached + 1
    # The next day the same draft goes, as it was.
    clock.set(datetime(2026, 3, 3, 0, 0, 1, tzinfo=UTC))
    receipt = (await talk.tap("✅ Send")).last
    assert tr(language, "🧹 Clear this conversation") in receipt.button_labels
    cases = await stored_cases(bot_core)
    assert [c.narrative for c in cases][1] == "Знову не вистачило наборів."


async def test_past_the_daily_file_quota_a_file_is_refused_politely_and_the_draft_kept(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    bot_core.settings.attachment_mb_per_day = 1
    reached = sample("holos_bot_quota_reached_total", quota="attachment_bytes")
    user = await make_user("ru")
    talk = Talk(user, "ru")
    # What they sent earlier today, counted where the bot counts it (never the database).
    counters = running_bot.dp["counters"]
    person = bot_core.crypto.person(user.id)
    await ReporterQuota.of(counters, bot_core, person).count_bytes(1024 * 1024 - 100)
    await talk.open_report("assistance_quality")
    await talk.say("Список в файле.")
    replies = await user.send_document(samples.pdf("list"), file_name="list.pdf")
    refusal = next(m for m in replies if m.body.startswith("Этот файл не добавлен"))
    assert "1 МБ" in refusal.body and "02:00" in refusal.body
    assert sample("holos_bot_quota_reached_total", quota="attachment_bytes") == reached + 1
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative == "Список в файле."


# No timing trail -------------------------------------------------------------------------


async def test_after_a_report_and_a_rating_no_state_is_left_and_times_are_coarse(
    running_bot: BotRuntime, make_user, bot_core, clock: FrozenClock
) -> None:
    clock.set(ODD_MOMENT)
    talk = Talk(await make_user("en"), "en")
    code = await talk.file_report()
    assert await rows(bot_core, ConversationState) == []
    await talk.command("status")
    await talk.say("0000 0000 0000 0001")  # one wrong code: the global count's row
    await talk.command("menu")
    await talk.tap("⭐ Rate our assistance")
    await talk.user.press(PROGRAMME_LABELS["cash"]["en"])
    await talk.user.press("🙂 Satisfied")
    await talk.tap("Skip »")
    assert await rows(bot_core, ConversationState) == []
    (case,) = await rows(bot_core, Case)
    assert case.created_at == datetime(2026, 3, 2, 9, 17, tzinfo=UTC)
    assert case.acknowledge_due_at.second == 0 and case.acknowledge_due_at.microsecond == 0
    (rating,) = await rows(bot_core, Rating)
    assert rating.created_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    counters = await rows(bot_core, ThrottleCounter)
    # The person's own miss is counted outside the database (issue 18).
    assert [c.key for c in counters] == ["receipt:global"]
    assert all(
        (c.window_start.minute, c.window_start.second, c.window_start.microsecond) == (0, 0, 0)
        for c in counters
    )
    updates = await rows(bot_core, ProcessedUpdate)
    assert updates and all(
        (u.handled_at.second, u.handled_at.microsecond) == (0, 0) for u in updates
    )
    for preference in await rows(bot_core, LanguagePreference):
        assert preference.expires_at.time() == datetime.min.time()
    assert code
