"""Staff alerts in Telegram, end to end on the emulator: a staff member links their own
chat with the one-time link of their account page (``/start staff_<code>``), which
never starts a draft; wrong, used and expired codes are refused; a new sealed report
then reaches the linked chat from the alert worker, saying nothing of itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select

from bot.runtime import BotRuntime
from storage.access import Actor
from storage.clock import FrozenClock
from storage.core import Core
from storage.enums import OutboxState
from storage.models import StaffAlertSettings
from storage.services.alerts import AlertSettingsService, LinkCode
from storage.services.console import ConsoleSessionService
from tests.alerts.helpers import alert_rows
from tests.harness import BotFactory
from tests.storage.helpers import make_staff, submit
from tgemu import BotHandle, SimulatedUser

NARRATIVE = "Він вимагав секс за продуктовий набір, мені 17."
LINKED = "This chat is now linked to your Holos staff account"
USED = "This link has been used already."
EXPIRED = "This link is more than 10 minutes old."
WRONG = "This link is not valid."


async def new_code(core: Core, actor: Actor) -> LinkCode:
    async with core.database.transaction() as session:
        return await AlertSettingsService(session, core).new_link_code(actor)


async def quiet_bot(start_bot: BotFactory) -> BotRuntime:
    # The test runs the alert worker's rounds itself (run_once); the background one
    # only runs its first round at start.
    return await start_bot(alert_interval=3600)


async def test_a_focal_point_links_telegram_and_gets_content_free_alerts(
    start_bot: BotFactory,
    bot_core: Core,
    tg: BotHandle,
    make_user: Callable[..., Awaitable[SimulatedUser]],
) -> None:
    runtime = await quiet_bot(start_bot)
    assert bot_core.telegram_username and bot_core.telegram_username.endswith("_bot")
    fp = await make_staff(bot_core, "fpoint", "focal_point")
    async with bot_core.database.transaction() as session:
        # Alerts speak the console's language of their reader.
        await ConsoleSessionService(session, bot_core).set_language(fp.user_id or 0, "en")
    phone = await make_user("en")

    code = await new_code(bot_core, fp)
    replies = await phone.send_command("start", code.start_parameter)
    assert len(replies) == 1 and LINKED in replies.text
    assert replies.last.buttons == ()  # no welcome, no menu, no draft

    # The chat id is stored sealed, for staff only.
    async with bot_core.database.read_only() as session:
        row = await session.scalar(select(StaffAlertSettings))
        assert row is not None and row.telegram_chat_enc is not None
        assert str(phone.id).encode() not in row.telegram_chat_enc

    submitted = await submit(bot_core, category="sexual_exploitation", narrative=NARRATIVE)
    assert await runtime.alerts.run_once() == 1
    alert = await phone.wait_for(lambda m: m.from_bot and "new report" in m.body)
    assert "A new report needs you in Holos." in alert.body
    assert "/console/cases?sealed=1" in alert.body
    for secret in (submitted.ref, "секс", "sexual", "UA-63"):
        assert secret not in alert.body


async def test_wrong_used_and_expired_codes_are_refused(
    start_bot: BotFactory,
    bot_core: Core,
    clock: FrozenClock,
    make_user: Callable[..., Awaitable[SimulatedUser]],
) -> None:
    await quiet_bot(start_bot)
    fp = await make_staff(bot_core, "fpoint", "focal_point")
    phone, stranger = await make_user("en"), await make_user("en")

    assert WRONG in (await phone.send_command("start", "staff_not-a-code")).text
    code = await new_code(bot_core, fp)
    assert LINKED in (await phone.send_command("start", code.start_parameter)).text
    reused = await stranger.send_command("start", code.start_parameter)
    assert USED in reused.text and reused.last.buttons == ()

    old = await new_code(bot_core, fp)
    clock.advance(timedelta(minutes=10, seconds=1))
    assert EXPIRED in (await stranger.send_command("start", old.start_parameter)).text

    # A new code replaces the one before it.
    first = await new_code(bot_core, fp)
    second = await new_code(bot_core, fp)
    assert WRONG in (await stranger.send_command("start", first.start_parameter)).text
    assert LINKED in (await stranger.send_command("start", second.start_parameter)).text


async def test_a_staff_link_leaves_a_reporters_draft_alone(
    start_bot: BotFactory,
    bot_core: Core,
    make_user: Callable[..., Awaitable[SimulatedUser]],
) -> None:
    await quiet_bot(start_bot)
    person = await make_user("en")
    welcome = await person.send_command("start")
    # A plain /start still greets as before, with its buttons.
    assert welcome.last.buttons
    refused = await person.send_command("start", "staff_guess")
    assert WRONG in refused.text and len(refused) == 1
    again = await person.send_command("start")
    assert again.last.buttons  # the conversation carries on as it was


async def test_telegram_trouble_retries_and_a_blocked_chat_stops_alerts(
    start_bot: BotFactory,
    bot_core: Core,
    tg: BotHandle,
    clock: FrozenClock,
    make_user: Callable[..., Awaitable[SimulatedUser]],
) -> None:
    runtime = await quiet_bot(start_bot)
    fp = await make_staff(bot_core, "fpoint", "focal_point")
    phone = await make_user("en")
    code = await new_code(bot_core, fp)
    assert LINKED in (await phone.send_command("start", code.start_parameter)).text

    await tg.inject_server_error("sendMessage", times=1)
    await submit(bot_core, category="sexual_exploitation", narrative=NARRATIVE)
    assert await runtime.alerts.run_once() == 1
    [row] = await alert_rows(bot_core)
    assert row.state == OutboxState.PENDING and row.last_error == "TelegramServerError"

    await phone.block()
    clock.advance(timedelta(hours=1))
    assert await runtime.alerts.run_once() == 1
    [row] = await alert_rows(bot_core)
    assert row.state == OutboxState.UNDELIVERABLE
