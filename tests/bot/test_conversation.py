"""Issue 21: a conversation, not a pile of reports; answers safe on a lock screen.

End to end with the real bot and the emulator: a sealed case's reply reaches the chat
only as a neutral notice (read by code); status changes send the same notice on every
case; "Reply to this" under the latest reply adds to the same case, marked as the
reporter's reply; "clear this conversation" takes the replies too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import select

from bot.runtime import BotRuntime
from handlers.callbacks import signed_answer
from storage.access import Actor
from storage.core import Core
from storage.enums import ActivityKind, ContactMode, Language, Status
from storage.models import Case, CaseActivity, CaseAddition, ReporterLink
from storage.sealed import Context, Sealer
from storage.services.intake import ContactChoice, SubmittedCase
from storage.services.triage import CaseChanges, TriageService
from tests.bot.helpers import outbox_rows, tried_with
from tests.handlers.conversation import Talk, tr
from tests.storage.helpers import make_staff, submit
from tgemu import BotHandle, SimulatedUser

NOTICE = "There is an update on your report. Open it with your code."
REPLY_TO_THIS = "↩️ Reply to this"
WRITE_ANSWER = (
    "Write your answer: text, photos, documents or voice messages. It joins the same "
    "report. When you have finished, press «Done»."
)
SECRET = "The investigator will call on Tuesday"


@pytest.fixture(autouse=True)
async def no_invalid_bot_api_calls(tg: BotHandle) -> AsyncIterator[None]:
    yield
    assert await tg.invalid_calls() == []


@pytest.fixture
async def focal(bot_core: Core) -> Actor:
    return await make_staff(bot_core, "maria", "focal_point")


async def reporter(
    make_user: Callable[..., Awaitable[SimulatedUser]], language: str
) -> SimulatedUser:
    user = await make_user(language)
    await user.send_text("/start")  # a bot writes only to someone who wrote first
    return user


async def chat_case(
    core: Core, user: SimulatedUser, language: str, category: str = "sexual_exploitation"
) -> SubmittedCase:
    return await submit(
        core,
        category=category,
        language=Language(language),
        contact=ContactChoice(ContactMode.CHAT, chat_id=user.id),
    )


async def reply(core: Core, actor: Actor, ref: str, text: str) -> None:
    async with core.database.transaction() as session:
        await TriageService(session, core).add_reply(
            ref, actor, {lang: f"{text} ({lang.value})" for lang in Language}
        )


async def change(core: Core, actor: Actor, ref: str, changes: CaseChanges) -> None:
    async with core.database.transaction() as session:
        service = TriageService(session, core)
        case = await service.get_visible(ref, actor)
        await service.update(ref, actor, expected_version=case.version, changes=changes)


async def bot_messages(user: SimulatedUser) -> list[str]:
    return [m.body for m in await user.chat() if m.from_bot]


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
async def test_a_sealed_reply_shows_only_a_neutral_notice_and_is_read_by_code(
    running_bot: BotRuntime,
    make_user,
    bot_core: Core,
    tg: BotHandle,
    focal: Actor,
    language: str,
) -> None:
    user = await reporter(make_user, language)
    case = await chat_case(bot_core, user, language)
    await reply(bot_core, focal, case.ref, SECRET)
    await running_bot.worker.flush()

    notice = await user.wait_for(lambda m: m.body == tr(language, NOTICE))
    assert notice.button_labels == [tr(language, REPLY_TO_THIS)]
    # Nothing of the reply went to Telegram at all, so nothing reaches a lock screen.
    assert await tried_with(tg, SECRET) == []

    # Read by code, in the status view.
    talk = Talk(user, language)
    await talk.tap("🔎 Check my report")
    view = await talk.say(case.receipt_code_display)
    assert f"{SECRET} ({language})" in view.text

    # "Clear this conversation" takes the notice too.
    await talk.tap("🧹 Clear this conversation")
    left = await bot_messages(user)
    assert tr(language, NOTICE) not in left
    assert not any(SECRET in body for body in left)
    # What it deleted is forgotten with it.
    async with bot_core.database.transaction() as session:
        links = (await session.scalars(select(ReporterLink))).all()
        assert [link.sent_enc for link in links] == [None]


async def test_full_text_when_chosen_and_status_changes_send_the_neutral_notice(
    running_bot: BotRuntime, make_user, bot_core: Core, tg: BotHandle, focal: Actor
) -> None:
    user = await reporter(make_user, "uk")
    case = await chat_case(bot_core, user, "uk")
    await change(bot_core, focal, case.ref, CaseChanges(reply_full_text=True))
    await reply(bot_core, focal, case.ref, SECRET)
    await running_bot.worker.flush()
    full = await user.wait_for(lambda m: SECRET in m.body)
    assert f"{SECRET} (uk)" in full.body
    assert full.button_labels == [tr("uk", REPLY_TO_THIS)]

    # Acknowledged, referred and resolved each tell the reporter, with no content; the
    # other statuses say nothing.
    for status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS):
        await change(bot_core, focal, case.ref, CaseChanges(status=status))
        await running_bot.worker.flush()
    assert (await bot_messages(user)).count(tr("uk", NOTICE)) == 1
    await change(bot_core, focal, case.ref, CaseChanges(status=Status.RESOLVED))
    await running_bot.worker.flush()
    assert (await bot_messages(user)).count(tr("uk", NOTICE)) == 2

    # The stored message ids are encrypted: no plain number of this chat is in the row.
    async with bot_core.database.transaction() as session:
        (link,) = (await session.scalars(select(ReporterLink))).all()
        assert link.sent_enc is not None
        ids = Sealer(bot_core.crypto).open_json(link.sent_enc, Context.CHAT_SENT)["ids"]
        assert len(ids) == 3
        # (A lone id of one or two digits would be found in random ciphertext by chance;
        # the ids as written, and the field's name, would not.)
        assert b'"ids"' not in link.sent_enc
        assert ",".join(map(str, ids)).encode() not in link.sent_enc


async def test_a_standard_case_gets_its_reply_in_full_and_a_notice_on_status(
    running_bot: BotRuntime, make_user, bot_core: Core, focal: Actor
) -> None:
    user = await reporter(make_user, "ru")
    case = await chat_case(bot_core, user, "ru", category="assistance_quality")
    await change(bot_core, focal, case.ref, CaseChanges(status=Status.ACKNOWLEDGED))
    await reply(bot_core, focal, case.ref, "Набор довезут")
    await running_bot.worker.flush()
    await user.wait_for(lambda m: "Набор довезут (ru)" in m.body)
    assert tr("ru", NOTICE) in await bot_messages(user)
    kinds = sorted(r.kind.value for r in await outbox_rows(bot_core))
    assert kinds == ["notice", "reply"]


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
async def test_reply_to_this_joins_the_same_case_as_the_reporters_reply(
    running_bot: BotRuntime,
    make_user,
    bot_core: Core,
    focal: Actor,
    language: str,
) -> None:
    user = await reporter(make_user, language)
    case = await chat_case(bot_core, user, language)
    await reply(bot_core, focal, case.ref, "first")
    await running_bot.worker.flush()
    first = await user.wait_for(lambda m: REPLY_TO_THIS[:2] in "".join(m.button_labels))
    await reply(bot_core, focal, case.ref, "second")
    await running_bot.worker.flush()
    # The button stays on the latest reply only.
    await user.wait_for(
        lambda m: m.message_id == first.message_id and not m.button_labels, timeout=5
    )
    notices = [m for m in await user.chat() if m.body == tr(language, NOTICE)]
    assert [bool(m.button_labels) for m in notices] == [False, True]

    talk = Talk(user, language)
    prompt = (await talk.tap(REPLY_TO_THIS)).last
    assert prompt.body == tr(language, WRITE_ANSWER)
    await talk.say("Я можу говорити лише ввечері.")
    replies = await talk.tap("✅ Done")
    assert replies.last.body == tr(language, "✅ Added to your report. Thank you.")
    # No code was typed, so nothing of the case is shown.
    assert not any("first" in m.body or "second" in m.body for m in replies)
    # The answer can be cleared from the chat; the replies stay (no code was typed).
    await talk.tap("🧹 Clear this conversation")
    left = await bot_messages(user)
    assert tr(language, WRITE_ANSWER) not in left
    assert [m.body for m in await user.chat() if not m.from_bot] == ["/start"]
    assert left.count(tr(language, NOTICE)) == 2

    async with bot_core.database.transaction() as session:
        additions = (await session.scalars(select(CaseAddition))).all()
        kinds = [a.kind for a in (await session.scalars(select(CaseActivity))).all()]
    assert len(additions) == 1 and additions[0].body is None  # sealed: encrypted
    assert ActivityKind.REPORTER_REPLIED.value in kinds
    async with bot_core.database.transaction() as session:
        detail = await TriageService(session, bot_core).detail(case.ref, focal)
    assert [a.text for a in detail.additions] == ["Я можу говорити лише ввечері."]


async def test_a_reply_button_copied_to_another_chat_or_forged_is_refused(
    running_bot: BotRuntime, make_user, bot_core: Core, focal: Actor
) -> None:
    owner = await reporter(make_user, "en")
    case = await chat_case(bot_core, owner, "en")
    await reply(bot_core, focal, case.ref, "first")
    await running_bot.worker.flush()
    notice = await owner.wait_for(lambda m: bool(m.button_labels))
    data = notice.button(REPLY_TO_THIS).callback_data
    assert data is not None

    stranger = await reporter(make_user, "en")
    own = (await stranger.chat())[-1]
    answered = await stranger.send_callback(data, own.message_id)
    assert not any(m.body == WRITE_ANSWER for m in answered)
    # Signed for this chat but naming an outbox row that is no reply: refused too.
    forged = signed_answer(bot_core.crypto, stranger.id, 999).pack()
    answered = await stranger.send_callback(forged, own.message_id)
    assert not any(m.body == WRITE_ANSWER for m in answered)
    assert stranger.callback_answers[-1]["text"] == "This button is no longer active."
    async with bot_core.database.transaction() as session:
        assert (await session.scalars(select(CaseAddition))).all() == []


ADD_EARLIER = "📎 Add to an earlier report"
CODE_FOR_EARLIER = (
    "Please enter the receipt code of your earlier report: 16 digits, for example "
    "1234 5678 9012 3456. What you sent will be added to that report."
)


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
async def test_free_text_can_go_to_an_earlier_report_by_code(
    running_bot: BotRuntime, make_user, bot_core: Core, focal: Actor, language: str
) -> None:
    user = await reporter(make_user, language)
    case = await submit(bot_core, language=Language(language))
    talk = Talk(user, language)
    draft = (await talk.say("Забув сказати: це було 3 березня.")).last
    assert tr(language, ADD_EARLIER) in draft.button_labels
    assert len(draft.button_labels) > 3  # beside the categories, not instead of them

    prompt = (await talk.tap(ADD_EARLIER)).last
    assert prompt.body == tr(language, CODE_FOR_EARLIER)
    # A wrong code keeps what they wrote; the right one then takes it.
    wrong = (await talk.say("1111 2222 3333 4444")).last
    assert tr(language, "✅ Done") not in wrong.button_labels
    taken = (await talk.say(case.receipt_code_display)).last
    assert tr(language, "✅ Done") in taken.button_labels
    replies = await talk.tap("✅ Done")
    assert any(m.body == tr(language, "✅ Added to your report. Thank you.") for m in replies)

    async with bot_core.database.transaction() as session:
        cases = (await session.scalars(select(Case))).all()
        additions = (await session.scalars(select(CaseAddition))).all()
        kinds = [a.kind for a in (await session.scalars(select(CaseActivity))).all()]
    assert [c.ref for c in cases] == [case.ref]  # no new report
    assert [a.body for a in additions] == ["Забув сказати: це було 3 березня."]
    assert kinds == [ActivityKind.REPORTER_ADDED.value]


async def test_reply_to_this_never_drops_a_draft_in_progress(
    running_bot: BotRuntime, make_user, bot_core: Core, focal: Actor
) -> None:
    user = await reporter(make_user, "ru")
    case = await chat_case(bot_core, user, "ru")
    await reply(bot_core, focal, case.ref, "first")
    await running_bot.worker.flush()
    notice = await user.wait_for(lambda m: bool(m.button_labels))
    talk = Talk(user, "ru")
    await talk.say("Новая история, ещё не отправлена.")  # starts a draft
    asked = (await talk.user.press(tr("ru", REPLY_TO_THIS), message_id=notice.message_id)).last
    assert asked.body == tr("ru", "You have an unfinished draft. Do you want to continue it?")
    resumed = (await talk.tap("↩️ Continue the draft")).last
    assert tr("ru", ADD_EARLIER) in resumed.button_labels  # the same draft, still there
    # Deleted on purpose, the button then works.
    await talk.tap("✖️ Cancel")
    await talk.tap("🗑 Yes, delete it")
    prompt = (await talk.user.press(tr("ru", REPLY_TO_THIS), message_id=notice.message_id)).last
    assert prompt.body == tr("ru", WRITE_ANSWER)
