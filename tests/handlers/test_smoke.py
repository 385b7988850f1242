from __future__ import annotations

from bot.emulator import BotHandle
from bot.runtime import BotRuntime


async def test_start_shows_the_menu(running_bot: BotRuntime, make_user, tg: BotHandle) -> None:  # type: ignore[no-untyped-def]
    user = await make_user("en")
    replies = await user.send_command("start")
    last = replies.last
    assert "Hello" in last.text
    assert "🔎 Check my report" in last.button_labels
    assert await tg.invalid_calls() == []
