"""The conversation survives a restart, and users never see each other's drafts."""

from __future__ import annotations

import asyncio

from tests.handlers.conversation import Talk, oblast_label, stored_cases
from tests.harness import BotFactory
from tgemu import BotHandle


async def test_restart_in_the_middle_and_finish_the_report(
    start_bot: BotFactory, make_user, bot_core, tg: BotHandle
) -> None:
    first = await start_bot()
    talk = Talk(await make_user("uk"), "uk")
    await talk.command("start")
    await talk.tap("📝 Complaint or feedback")
    await talk.tap("Behaviour of staff or partners")
    await talk.tap("Not sure / other")
    await talk.user.press(oblast_label("UA-48", "uk"))
    await talk.say("Охоронець не пустив нас до пункту видачі.")
    await first.stop()

    await start_bot()  # a new process would find the same database
    replies = await talk.say("Це було в понеділок.")
    assert "Отримано: 2 повідомлення" in replies.last.body
    await talk.tap("✅ Done")
    await talk.tap("🔒 Anonymous")
    await talk.tap("✅ Send")
    (case,) = await stored_cases(bot_core)
    assert (case.category, case.oblast) == ("staff_conduct", "UA-48")
    assert case.narrative == "Охоронець не пустив нас до пункту видачі.\n\nЦе було в понеділок."


async def test_a_button_pressed_before_a_restart_still_works_after(
    start_bot: BotFactory, make_user, bot_core
) -> None:
    first = await start_bot()
    talk = Talk(await make_user("en"), "en")
    await talk.open_report("assistance_quality")
    await talk.say("Story.")
    await talk.tap("✅ Done")
    await first.stop()
    await start_bot()
    await talk.tap("🔒 Anonymous")  # the keyboard from before the restart
    await talk.tap("✅ Send")
    assert len(await stored_cases(bot_core)) == 1


async def test_two_users_at_once_never_see_each_others_drafts(
    running_bot, make_user, bot_core
) -> None:
    olena = Talk(await make_user("uk"), "uk")
    ivan = Talk(await make_user("ru"), "ru")
    await asyncio.gather(
        olena.open_report("assistance_quality", oblast="UA-46"),
        ivan.open_report("staff_conduct", oblast="UA-51"),
    )
    for i in range(3):
        await asyncio.gather(olena.say(f"Олена {i}"), ivan.say(f"Иван {i}"))
    await asyncio.gather(olena.tap("✅ Done"), ivan.tap("✅ Done"))
    olena_summary, ivan_summary = await asyncio.gather(
        olena.tap("🔒 Anonymous"), ivan.tap("🔒 Anonymous")
    )
    assert "Олена 2" in olena_summary.last.body and "Иван" not in olena_summary.last.body
    assert "Иван 2" in ivan_summary.last.body and "Олена" not in ivan_summary.last.body
    await asyncio.gather(olena.tap("✅ Send"), ivan.tap("✅ Send"))
    cases = {c.oblast: c for c in await stored_cases(bot_core)}
    assert cases["UA-46"].narrative == "Олена 0\n\nОлена 1\n\nОлена 2"
    assert cases["UA-51"].narrative == "Иван 0\n\nИван 1\n\nИван 2"
    assert (cases["UA-46"].language, cases["UA-51"].language) == ("uk", "ru")
