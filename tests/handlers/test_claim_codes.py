"""A sealed report staff logged: the person exchanges the one-time claim code once, in the
bot's "Check my report", for a receipt code of their own (issue 23), end to end through
the emulator."""

from __future__ import annotations

import secrets

from bot.runtime import BotRuntime
from storage.core import Core
from storage.enums import Channel, FollowUpMode, Language
from storage.services.intake import IntakeService, LoggedCase, ReportSubmission, StaffLoggedReport
from storage.services.triage import TriageService
from tests.handlers.conversation import Talk, receipt_in, stored_cases
from tests.storage.helpers import make_staff


async def logged_by_staff(core: Core, category: str = "sexual_exploitation") -> LoggedCase:
    operator = await make_staff(core, "olena", "operator")
    item = StaffLoggedReport(
        report=ReportSubmission(
            category=category,
            language=Language.UK,
            oblast="UA-63",
            narrative="Прийшла на пункт видачі, розповіла про домагання.",
            channel=Channel.IN_PERSON,
        ),
        follow_up=FollowUpMode.CODE,
        intake_key=secrets.token_urlsafe(16),
    )
    async with core.database.transaction() as session:
        return await IntakeService(session, core).log_case(operator, item)


async def test_a_claim_code_is_exchanged_once_for_the_persons_own_code(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    logged = await logged_by_staff(bot_core)
    assert logged.claim and logged.code_display is not None
    focal = await make_staff(bot_core, "focal", "focal_point")
    (case,) = await stored_cases(bot_core)
    async with bot_core.database.transaction() as session:
        await TriageService(session, bot_core).add_reply(
            case.ref, focal, {Language.UK: "Дякуємо, що сказали. Ми поруч."}
        )

    person = Talk(await make_user("uk"), "uk")
    await person.command("status")
    replies = await person.say(logged.code_display)
    exchanged = next(m for m in replies if "Ваш власний код звернення" in m.body)
    own = receipt_in(exchanged.body)
    assert own.replace(" ", "") != logged.code
    assert "Дякуємо, що сказали. Ми поруч." in replies.last.body
    (case,) = await stored_cases(bot_core)
    assert case.claimed_at is not None

    # Their own code opens the case from now on.
    await person.command("status")
    view = (await person.say(own)).last
    assert "Дякуємо, що сказали. Ми поруч." in view.body

    # The claim code never again: whoever tries it (the operator who read it out, or
    # someone who overheard) is sent to the hotline, and sees nothing of the case.
    other = Talk(await make_user("uk"), "uk")
    await other.command("status")
    refused = (await other.say(logged.code_display)).last
    assert "Цей одноразовий код уже використано" in refused.body
    assert "Дякуємо, що сказали" not in refused.body


async def test_a_wrong_claim_code_counts_like_a_wrong_receipt_code(
    running_bot: BotRuntime, make_user, bot_core
) -> None:
    logged = await logged_by_staff(bot_core)
    assert logged.code is not None
    person = Talk(await make_user("en"), "en")
    await person.command("status")
    flood = running_bot.dp["flood"]

    def typing_a_code() -> None:
        later = flood.clock() + 5
        flood.clock = lambda: later

    for i in range(5):
        typing_a_code()
        assert (await person.say(f"{i:016d}")).last.body.startswith("No report has this code")
    typing_a_code()
    refused = (await person.say(logged.code)).last
    assert refused.body.startswith("Too many wrong codes")
    (case,) = await stored_cases(bot_core)
    assert case.claimed_at is None
