"""Fault test 1 (issue 11): Telegram throttles (429 with retry_after) and fails (500) on
sendMessage, editMessageText and answerCallbackQuery while several people file whole
reports, in polling and in webhook mode. Every person still gets every answer, in order,
once: their chats read exactly like a chat with no faults at all. The counters show the
429s and the retries."""

from __future__ import annotations

import asyncio

import pytest

from bot.runtime import BotRuntime
from storage.core import Core
from tests.bot.fault_kit import file_report_patiently, sample, settle, transcript, webhook_bot
from tests.handlers.conversation import Talk, stored_cases
from tests.harness import BotFactory
from tgemu import BotHandle, EmulatorThread

# Slow: storms of 429s that each wait their retry_after (make check leaves them to make test).
pytestmark = pytest.mark.slow

METHODS = ("sendMessage", "editMessageText", "answerCallbackQuery")
PEOPLE = 4
# Per method: this many 429s (1 s each) and this many 500s, spread over everyone's steps.
STORM = 3
PARTS = ("Нам видали лише половину набору.", "Це було в понеділок.")


def counters() -> dict[str, float]:
    values = {}
    for method in METHODS:
        for result in ("retry_after", "server_error"):
            values[f"{method}:{result}"] = sample(
                "holos_bot_api_calls_total", method=method, result=result
            )
        for reason in ("retry_after", "server_error"):
            values[f"{method}:retried:{reason}"] = sample(
                "holos_bot_api_retries_total", method=method, reason=reason
            )
    return values


async def storm(tg: BotHandle) -> None:
    for method in METHODS:
        await tg.inject_retry_after(method, times=STORM, retry_after=1)
        await tg.inject_server_error(method, times=STORM)


async def people(tg: BotHandle, count: int, first_id: int) -> list[Talk]:
    return [
        Talk(await tg.create_user(id=first_id + n, first_name=f"P{n}", language_code="uk"), "uk")
        for n in range(count)
    ]


async def survive_a_storm(tg: BotHandle, runtime: BotRuntime, core: Core) -> None:
    """A calm report first (the reference chat), then everyone at once through the storm."""
    (calm,) = await people(tg, 1, 810_000_000)
    await file_report_patiently(calm, PARTS)
    await settle(tg, runtime)
    reference = await transcript(calm.user)
    before = counters()
    await storm(tg)
    crowd = await people(tg, PEOPLE, 820_000_000)
    await asyncio.gather(*(file_report_patiently(talk, PARTS) for talk in crowd))
    await settle(tg, runtime)
    for talk in crowd:
        assert await transcript(talk.user) == reference
    # The storm really hit: every injected fault was met by some call.
    assert await tg.client.request("GET", f"/bots/{tg.token}/faults") == []
    cases = await stored_cases(core)
    assert len(cases) == PEOPLE + 1
    assert {c.narrative for c in cases} == {"\n\n".join(PARTS)}
    after = counters()
    for method in METHODS:
        for kind in ("retry_after", "server_error"):
            assert after[f"{method}:{kind}"] - before[f"{method}:{kind}"] == STORM
            assert after[f"{method}:retried:{kind}"] - before[f"{method}:retried:{kind}"] == STORM


async def test_a_storm_of_429s_and_500s_in_polling_mode(
    start_bot: BotFactory, tg: BotHandle, emulator: EmulatorThread, bot_core: Core
) -> None:
    await survive_a_storm(tg, await start_bot(), bot_core)


async def test_a_storm_of_429s_and_500s_in_webhook_mode(
    tg: BotHandle, emulator: EmulatorThread, bot_core: Core
) -> None:
    async with webhook_bot(bot_core, tg.token, emulator) as hooked:
        await survive_a_storm(tg, hooked.runtime, bot_core)
