"""The delivery worker: staff replies and the handling survey reach
a reporter who opted in, in their language, exactly once, whatever Telegram answers.

Deliveries are counted from the emulator's record of real Bot API calls. The test clock
is frozen, so a retry is due exactly when the test moves the clock past its delay;
``worker.flush()`` wakes the worker and returns once it has tried everything due.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.methods import SendMessage, TelegramMethod
from babel.dates import format_date
from prometheus_client import REGISTRY

from bot.runtime import BotRuntime
from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import ContactMode, Language, OutboxKind, OutboxState, Outcome, Status
from storage.services.intake import ContactChoice
from storage.services.triage import CaseChanges, TriageService
from tests.bot.helpers import outbox_rows, sent_with, tried_with
from tests.handlers.conversation import Talk, stored_cases, tr
from tests.harness import BotFactory
from tests.storage.helpers import make_staff, submit
from tgemu import BotHandle, SimulatedUser

REPLY = {
    Language.UK: "Ми перевірили список отримувачів.",
    Language.RU: "Мы проверили список получателей.",
    Language.EN: "We have checked the list of recipients.",
}
SURVEY = "Your report of {date} has been closed. How satisfied are you with how it was handled?"
TOPIC = "Topic: {value}"


async def named(core: Core, ref: str, language: str) -> tuple[str, str | None]:
    """How the bot names a report to its reporter: the date (as the bot writes it in
    ``language``), and the topic line, none for a sensitive report."""
    (case,) = [c for c in await stored_cases(core) if c.ref == ref]
    moment = case.created_at.astimezone(ZoneInfo(core.settings.timezone))
    date = format_date(moment, "long", locale=language)
    if case.sensitive:
        return date, None
    topic = tr(language, "Quality or quantity of assistance")
    return date, tr(language, TOPIC, value=topic)


@pytest.fixture(autouse=True)
async def no_invalid_bot_api_calls(tg: BotHandle) -> AsyncIterator[None]:
    """No call Telegram would refuse as malformed (a 403 from a block is not one)."""
    yield
    assert await tg.invalid_calls() == []


@pytest.fixture
async def operator(bot_core: Core) -> Actor:
    return await make_staff(bot_core, "olena", "operator")


async def reporter(
    make_user: Callable[..., Awaitable[SimulatedUser]], language: str
) -> SimulatedUser:
    user = await make_user(language)
    # Telegram lets a bot write only to someone who has written to it first.
    await user.send_text("/start")
    return user


async def opted_in_case(core: Core, user: SimulatedUser, language: str = "uk") -> str:
    """A case whose reporter chose "reply in this chat" (filed in storage, to be quick)."""
    submitted = await submit(
        core,
        language=Language(language),
        contact=ContactChoice(ContactMode.CHAT, chat_id=user.id),
    )
    return submitted.ref


async def reply(core: Core, actor: Actor, ref: str, *texts: str) -> None:
    """One staff reply per text, in all three languages, committed together."""
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        for text in texts:
            await service.add_reply(
                ref, actor, {lang: f"{body} {text}" for lang, body in REPLY.items()}
            )


async def move(core: Core, actor: Actor, ref: str, *statuses: Status) -> None:
    for status in statuses:
        async with core.database.transaction() as session:
            service = TriageService(session, core)
            case = await service.get_visible(ref, actor)
            # Closing records an outcome (a sealed case needs one).
            outcome = Outcome.RESOLVED if status is Status.CLOSED else None
            await service.update(
                ref,
                actor,
                expected_version=case.version,
                changes=CaseChanges(status=status, outcome=outcome),
            )


async def delivery_state(core: Core, actor: Actor, ref: str) -> list[str]:
    async with core.database.transaction() as session:
        detail = await TriageService(session, core).detail(ref, actor)
    return [r.delivery for r in detail.replies]


async def test_a_reply_reaches_the_opted_in_reporter_once_in_their_language(
    running_bot: BotRuntime, make_user, bot_core: Core, tg: BotHandle, operator: Actor
) -> None:
    talk = Talk(await make_user("en"), "en")
    await talk.file_report(contact="💬 Reply in this chat")
    (case,) = await stored_cases(bot_core)
    await reply(bot_core, operator, case.ref, "#1")

    await running_bot.worker.flush()
    message = await talk.user.wait_for(lambda m: REPLY[Language.EN] in m.body)
    date, topic = await named(bot_core, case.ref, "en")
    assert message.body.startswith(f"💬 An answer to your report of {date}:\n{topic}\n")
    assert "Check my report" in message.body
    assert len(await sent_with(tg, REPLY[Language.EN])) == 1
    # Only the reporter's language went out.
    assert await tried_with(tg, REPLY[Language.UK]) == []
    assert await delivery_state(bot_core, operator, case.ref) == ["delivered"]
    # Delivered means done: another round sends nothing.
    await running_bot.worker.flush()
    assert len(await sent_with(tg, REPLY[Language.EN])) == 1


async def test_429_waits_retry_after_then_delivers_once(
    running_bot: BotRuntime,
    make_user,
    bot_core: Core,
    tg: BotHandle,
    operator: Actor,
    clock: FrozenClock,
) -> None:
    user = await reporter(make_user, "uk")
    ref = await opted_in_case(bot_core, user)
    await tg.inject_retry_after("sendMessage", times=1, retry_after=7)
    await reply(bot_core, operator, ref, "#1")
    worker = running_bot.worker

    await worker.flush()
    (refused,) = await tried_with(tg, REPLY[Language.UK])
    assert (refused["error_code"], refused["fault"]) == (429, "retry_after")
    (row,) = await outbox_rows(bot_core)
    assert row.state == OutboxState.PENDING
    assert row.next_attempt_at == clock.now() + timedelta(seconds=7)
    assert row.last_error == "429"

    clock.advance(timedelta(seconds=6))  # not yet
    await worker.flush()
    assert len(await tried_with(tg, REPLY[Language.UK])) == 1

    clock.advance(timedelta(seconds=1))
    await worker.flush()
    assert len(await tried_with(tg, REPLY[Language.UK])) == 2
    assert len(await sent_with(tg, REPLY[Language.UK])) == 1
    await user.wait_for(lambda m: REPLY[Language.UK] in m.body)
    assert await delivery_state(bot_core, operator, ref) == ["delivered"]


@pytest.mark.parametrize("fault", ["server_error", "drop"])
async def test_5xx_and_network_errors_retry_with_backoff_then_deliver_once(
    running_bot: BotRuntime,
    make_user,
    bot_core: Core,
    tg: BotHandle,
    operator: Actor,
    clock: FrozenClock,
    fault: str,
) -> None:
    user = await reporter(make_user, "ru")
    ref = await opted_in_case(bot_core, user, "ru")
    inject = tg.inject_server_error if fault == "server_error" else tg.inject_drop
    await inject("sendMessage", times=2)
    await reply(bot_core, operator, ref, "#1")
    worker = running_bot.worker
    base = timedelta(seconds=0.05)  # start_bot's delivery_backoff

    for attempt, delay in enumerate([base, base * 2], start=1):
        await worker.flush()
        tries = await tried_with(tg, REPLY[Language.RU])
        assert len(tries) == attempt and tries[-1]["fault"] == fault
        (row,) = await outbox_rows(bot_core)
        assert row.state == OutboxState.PENDING
        # Backoff doubles with each failed attempt.
        assert row.next_attempt_at == clock.now() + delay
        clock.advance(delay)

    await worker.flush()
    assert len(await sent_with(tg, REPLY[Language.RU])) == 1
    await user.wait_for(lambda m: REPLY[Language.RU] in m.body)
    assert await delivery_state(bot_core, operator, ref) == ["delivered"]


async def test_a_blocked_bot_marks_the_reply_undeliverable_and_stops_trying(
    running_bot: BotRuntime,
    make_user,
    bot_core: Core,
    tg: BotHandle,
    operator: Actor,
    clock: FrozenClock,
) -> None:
    user = await reporter(make_user, "uk")
    ref = await opted_in_case(bot_core, user)
    await user.block()
    await reply(bot_core, operator, ref, "#1")

    await running_bot.worker.flush()
    (refused,) = await tried_with(tg, REPLY[Language.UK])
    assert refused["error_code"] == 403
    (row,) = await outbox_rows(bot_core)
    assert row.state == OutboxState.UNDELIVERABLE
    assert await delivery_state(bot_core, operator, ref) == ["undeliverable"]

    clock.advance(timedelta(days=1))
    await running_bot.worker.flush()
    assert len(await tried_with(tg, REPLY[Language.UK])) == 1


async def test_a_stop_mid_delivery_neither_resends_nor_loses(
    start_bot: BotFactory,
    make_user,
    bot_core: Core,
    tg: BotHandle,
    operator: Actor,
) -> None:
    first = await start_bot()
    user = await reporter(make_user, "en")
    ref = await opted_in_case(bot_core, user, "en")
    stopping: list[asyncio.Task[None]] = []

    async def stop_during_first_send(
        make_request: Any, bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        if isinstance(method, SendMessage) and "#1" in method.text and not stopping:
            # The stop is asked for while this message is on its way.
            stopping.append(asyncio.create_task(first.stop()))
        return await make_request(bot, method)

    first.bot.session.middleware(stop_during_first_send)
    # Three replies committed together: one worker round claims all three.
    await reply(bot_core, operator, ref, "#1", "#2", "#3")
    first.worker.wake()
    await user.wait_for(lambda m: "#1" in m.body)
    await stopping[0]

    # The message on its way finished and was recorded; the others were handed back.
    assert len(await sent_with(tg, "#1")) == 1
    assert await tried_with(tg, "#2") == [] and await tried_with(tg, "#3") == []
    assert [r.state for r in await outbox_rows(bot_core)] == ["sent", "pending", "pending"]

    second = await start_bot()
    await second.worker.flush()
    for mark in ("#1", "#2", "#3"):
        assert len(await tried_with(tg, mark)) == 1, mark
    assert await delivery_state(bot_core, operator, ref) == ["delivered"] * 3


async def test_an_anonymous_reporter_gets_nothing_in_any_chat(
    running_bot: BotRuntime, make_user, bot_core: Core, tg: BotHandle, operator: Actor
) -> None:
    talk = Talk(await make_user("uk"), "uk")
    await talk.file_report()  # anonymous: the default
    (case,) = await stored_cases(bot_core)
    assert case.contact_mode == ContactMode.ANONYMOUS
    sent_before = len(await tg.calls("sendMessage"))
    await reply(bot_core, operator, case.ref, "#1")

    assert await outbox_rows(bot_core) == []
    await running_bot.worker.flush()
    assert len(await tg.calls("sendMessage")) == sent_before
    assert await delivery_state(bot_core, operator, case.ref) == ["not_applicable"]


async def test_the_handling_survey_is_asked_once(
    running_bot: BotRuntime, make_user, bot_core: Core, tg: BotHandle, operator: Actor
) -> None:
    user = await reporter(make_user, "uk")
    ref = await opted_in_case(bot_core, user)
    date, topic = await named(bot_core, ref, "uk")
    question = tr("uk", SURVEY, date=date) + f"\n{topic}"
    await move(bot_core, operator, ref, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED)
    await move(bot_core, operator, ref, Status.CLOSED)

    await running_bot.worker.flush()
    asked = await user.wait_for(lambda m: m.body == question)
    assert len(asked.button_labels) == 5
    # Reopened and closed again: not asked a second time.
    await move(bot_core, operator, ref, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED)
    await running_bot.worker.flush()
    assert len(await tried_with(tg, question)) == 1
    surveys = [r for r in await outbox_rows(bot_core) if r.kind is OutboxKind.HANDLING_SURVEY]
    assert [r.state for r in surveys] == [OutboxState.SENT]

    # The answer is taken once; the question stays answered.
    replies = await user.press(asked.button_labels[0])
    assert tr("uk", "Thank you for your answer!") in replies.last.body
    await move(bot_core, operator, ref, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED)
    await running_bot.worker.flush()
    assert len(await tried_with(tg, question)) == 1


async def test_a_long_reply_resumes_after_the_part_that_arrived(
    running_bot: BotRuntime,
    make_user,
    bot_core: Core,
    tg: BotHandle,
    operator: Actor,
    clock: FrozenClock,
) -> None:
    """A reply longer than one Telegram message goes out in parts; a 429 on the second
    part must not send the first one again."""
    user = await reporter(make_user, "en")
    ref = await opted_in_case(bot_core, user, "en")
    injected: list[bool] = []

    async def refuse_the_second_part(
        make_request: Any, bot: Bot, method: TelegramMethod[Any]
    ) -> Any:
        response = await make_request(bot, method)
        if isinstance(method, SendMessage) and "R&amp;D" in method.text and not injected:
            injected.append(True)
            await tg.inject_retry_after("sendMessage", times=1, retry_after=3)
        return response

    running_bot.bot.session.middleware(refuse_the_second_part)
    # 3,500 characters, twice as long once HTML-escaped: two messages.
    async with bot_core.database.transaction() as session:
        await TriageService(session, bot_core).add_reply(ref, operator, {Language.EN: "R&D " * 875})

    await running_bot.worker.flush()
    head, tail = "An answer to your report", "with «Check my report»"
    assert len(await sent_with(tg, head)) == 1
    (refused,) = await tried_with(tg, tail)
    assert refused["error_code"] == 429

    clock.advance(timedelta(seconds=3))
    await running_bot.worker.flush()
    assert len(await sent_with(tg, head)) == 1
    assert len(await sent_with(tg, tail)) == 1
    assert await delivery_state(bot_core, operator, ref) == ["delivered"]


def handled(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "holos_bot_updates_total", {"type": "message", "outcome": outcome}
        )
        or 0.0
    )


async def test_a_stop_lets_the_update_being_handled_finish(
    running_bot: BotRuntime, make_user, tg: BotHandle
) -> None:
    """The other half of a graceful stop: a message being answered is answered, and its
    handling ends before the storage and the HTTP session close under it."""
    user = await make_user("en")
    answering = asyncio.Event()

    async def signal_the_answer(make_request: Any, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, SendMessage):
            answering.set()
        return await make_request(bot, method)

    running_bot.bot.session.middleware(signal_the_answer)
    await tg.inject_delay("sendMessage", 0.3, times=1)  # the answer is on its way a while
    ok_before, errors_before = handled("ok"), handled("error")
    await user.send_text("/start", wait=False)
    await answering.wait()
    await running_bot.stop()

    assert (handled("ok") - ok_before, handled("error") - errors_before) == (1, 0)
    (welcome,) = await sent_with(tg, "Hello")
    assert welcome["ok"]


NOTICE_RU = "В вашем обращении есть обновление. Откройте его с помощью своего кода."


async def test_a_case_left_waiting_closes_and_the_reporter_gets_only_a_neutral_notice(
    running_bot: BotRuntime,
    make_user,
    bot_core: Core,
    tg: BotHandle,
    operator: Actor,
    clock: FrozenClock,
) -> None:
    """Issue 22: waiting for the reporter past HOLOS_WAITING_CLOSE_DAYS closes the case
    with "no response" on the daily turn; the chat gets a notice with nothing of the
    case in it, in the reporter's language, once."""
    user = await reporter(make_user, "ru")
    ref = await opted_in_case(bot_core, user, "ru")
    await move(bot_core, operator, ref, Status.ACKNOWLEDGED, Status.WAITING)
    await running_bot.worker.flush()
    # "Acknowledged" had its own notice (issue 21); waiting has none.
    assert len(await sent_with(tg, NOTICE_RU)) == 1
    clock.advance(timedelta(days=14, minutes=1))
    result = await running_bot.retention.run_once()
    assert result is not None and result.waiting_closed == 1
    await running_bot.worker.flush()
    message = await user.wait_for(lambda m: NOTICE_RU in m.body)
    assert message.body == NOTICE_RU
    assert len(await sent_with(tg, NOTICE_RU)) == 2
    await running_bot.worker.flush()
    assert len(await sent_with(tg, NOTICE_RU)) == 2
    async with bot_core.database.transaction() as session:
        case = await TriageService(session, bot_core).get_visible(ref, operator)
        assert (case.status, case.outcome) == (Status.CLOSED, "no_response")


@pytest.mark.parametrize("sensitive", [False, True], ids=["standard", "sensitive"])
@pytest.mark.parametrize("language", ["uk", "ru", "en"])
async def test_replies_and_the_survey_name_the_report(
    running_bot: BotRuntime,
    make_user,
    bot_core: Core,
    language: str,
    sensitive: bool,
) -> None:
    """A person may have filed several reports: what comes after sending names the one it
    is about, by its date and topic; a sensitive one by its date only (a glance at the
    phone must not tell what it was about)."""
    focal = await make_staff(bot_core, "iryna", "focal_point")
    user = await reporter(make_user, language)
    submitted = await submit(
        bot_core,
        language=Language(language),
        category="sexual_exploitation" if sensitive else "assistance_quality",
        contact=ContactChoice(ContactMode.CHAT, chat_id=user.id),
    )
    date, topic = await named(bot_core, submitted.ref, language)
    topic_line = f"\n{topic}" if topic else ""
    if sensitive:
        # A sealed case's reply comes word for word only when chosen (issue 21; the
        # neutral default is tests/bot/test_conversation.py).
        async with bot_core.database.transaction() as session:
            service = TriageService(session, bot_core)
            case = await service.get_visible(submitted.ref, focal)
            await service.update(
                submitted.ref,
                focal,
                expected_version=case.version,
                changes=CaseChanges(reply_full_text=True),
            )
    await reply(bot_core, focal, submitted.ref, "#1")
    await running_bot.worker.flush()
    answer = await user.wait_for(lambda m: REPLY[Language(language)] in m.body)
    header = tr(language, "💬 <b>An answer to your report of {date}:</b>", date=date)
    assert answer.body.startswith(header.replace("<b>", "").replace("</b>", "") + topic_line)
    assert ("Topic" in answer.body or "Тема" in answer.body) is not sensitive

    await move(
        bot_core, focal, submitted.ref, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED
    )
    await move(bot_core, focal, submitted.ref, Status.CLOSED)
    await running_bot.worker.flush()
    question = tr(language, SURVEY, date=date) + topic_line
    asked = await user.wait_for(lambda m: m.body == question)
    # The answered survey still names the report, with the answer under it.
    await user.press(asked.button_labels[3], message_id=asked.message_id)
    rated = next(m for m in await user.chat() if m.message_id == asked.message_id)
    assert rated.body.startswith(question + "\n\n")
    assert rated.body.endswith(tr(language, "Thank you for your answer!"))
