"""A receipt that survives a crash (issue 20): the code is drawn while the draft is open
and shown on the confirmation screen; the stored case takes exactly that code, and the
receipt repeats it. A «Send» for a draft whose case is already stored (the draft's end
was lost) makes no second case and shows the same code."""

from __future__ import annotations

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.fsm import DatabaseStorage
from bot.requests import ATTEMPTS
from storage.core import Core
from tests.handlers.conversation import RECEIPT, Talk, receipt_in, stored_cases, tr
from tests.harness import BotFactory
from tgemu import BotHandle

STORY = "Нам видали лише половину набору."
WILL_BE = "Your receipt code will be <code>{code}</code>: keep it, then press «Send»."


def code_on(body: str) -> str:
    match = RECEIPT.search(body)
    assert match, body
    return match.group(1)


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
async def test_the_code_is_shown_before_sending_and_the_case_takes_it(
    start_bot: BotFactory, make_user, bot_core: Core, language: str
) -> None:
    await start_bot()
    talk = Talk(await make_user(language), language)
    await talk.open_report("assistance_quality")
    await talk.say(STORY)
    await talk.tap("✅ Done")
    summary = (await talk.tap("🔒 Anonymous")).last
    shown = code_on(summary.body)
    expected = tr(language, WILL_BE, code=shown).replace("<code>", "").replace("</code>", "")
    assert summary.body.endswith(expected)
    # Changing something keeps the code: it belongs to the draft.
    await talk.tap("✏️ Change")
    again = (await talk.tap("« Back")).last
    assert code_on(again.body) == shown
    receipt = (await talk.tap("✅ Send")).last
    assert receipt_in(receipt.body) == shown
    # The stored case opens with exactly that code.
    await talk.command("status")
    view = (await talk.say(shown)).last
    assert STORY in view.body or tr(language, "Quality or quantity of assistance") in view.body
    (case,) = await stored_cases(bot_core)
    assert case.narrative == STORY


async def test_send_for_a_draft_already_stored_makes_no_second_case(
    start_bot: BotFactory, make_user, bot_core: Core, tg: BotHandle
) -> None:
    await start_bot()
    user = await make_user("en")
    talk = Talk(user, "en")
    await talk.open_report("assistance_quality")
    await talk.say(STORY)
    await talk.tap("✅ Done")
    summary = (await talk.tap("🔒 Anonymous")).last
    shown = code_on(summary.body)
    storage = DatabaseStorage(bot_core)
    key = StorageKey(int(tg.token.split(":")[0]), user.id, user.id)
    at_summary = (await storage.get_state(key), await storage.get_data(key))
    # The case is stored, then the process stops before the draft's end and the receipt:
    # here the receipt's call fails for good, and the draft is put back as it was.
    await tg.inject_server_error("editMessageText", times=ATTEMPTS)
    await talk.tap("✅ Send")
    assert len(await stored_cases(bot_core)) == 1
    await tg.clear_faults()
    await storage.set_state(key, at_summary[0])
    await storage.set_data(key, at_summary[1])
    # The person presses «Send» again on the confirmation screen they still see.
    receipt = (await talk.user.press("✅ Send", message_id=summary.message_id)).last
    assert receipt.message_id == summary.message_id
    assert receipt_in(receipt.body) == shown
    assert len(await stored_cases(bot_core)) == 1
    # The draft has ended: the flow is over.
    assert await storage.get_state(key) is None
