"""Fault test 6 (issue 11): a flood of 40 messages from one person costs one notice and
a handful of bot calls, keeps the draft, and service is normal once the window passes.
What the person sends before the notice is gathered into one answer (issue 20), not
dropped after the sixth as it once was."""

from __future__ import annotations

from storage.core import Core
from tests.bot.fault_kit import sample, settle
from tests.handlers.conversation import Talk, stored_cases
from tests.harness import BotFactory
from tgemu import BotHandle

NOTICE = "You are sending messages very fast."
FLOOD = 40


async def test_a_flood_of_40_messages_costs_one_notice_and_a_handful_of_calls(
    start_bot: BotFactory, make_user, bot_core: Core, tg: BotHandle
) -> None:
    running_bot = await start_bot(gather_window=1.5)
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    await talk.say("Part zero.")
    notices_before = sample("holos_bot_flood_notices_total")
    since = (await tg.state())["seq"]
    for i in range(1, FLOOD + 1):
        await talk.user.send_text(f"Part {i}.", wait=False)
    await settle(tg, running_bot)

    calls = [c for c in await tg.calls() if c["seq"] > since and c["chat_id"] == talk.user.id]
    replies = [c for c in calls if c["method"] != "sendChatAction"]
    # The messages the flood gate lets through are gathered into edits of the one
    # "Received" (one per window while they keep coming); then the notice. A handful,
    # not one or two per message.
    assert len(replies) <= 6
    notices = [m for m in await talk.user.chat() if m.body.startswith(NOTICE)]
    assert len(notices) == 1
    assert sample("holos_bot_flood_notices_total") - notices_before == 1

    # Still within the window: silence, even for a calm message.
    await talk.user.send_text("Still flooding?", wait=False)
    await settle(tg, running_bot)
    assert [m.body for m in await talk.user.chat() if m.from_bot][-1].startswith(NOTICE)

    # The window passes (the gate's clock moves on; no sleeping): normal service.
    flood = running_bot.dp["flood"]
    later = flood.clock() + 60
    flood.clock = lambda: later
    replies = await talk.say("After the pause.")
    assert replies.last.body.startswith("Received:")
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert case.narrative is not None
    parts = case.narrative.split("\n\n")
    # Everything before the notice, in order (more than the six typed messages a burst
    # once kept), then the message after the pause; the draft from before untouched.
    assert parts[0] == "Part zero." and parts[-1] == "After the pause."
    assert parts[1:-1] == [f"Part {i}." for i in range(1, len(parts) - 1)]
    assert 6 < len(parts[1:-1]) < FLOOD
