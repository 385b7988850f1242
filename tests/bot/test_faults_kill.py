"""Fault test 2 (issue 11): the bot process killed with SIGKILL, mid-flow and
mid-submission. A real `holos bot` subprocess runs against the session's emulator and a
SQLite file; after a restart the draft continues, and the case exists exactly once."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from storage.clock import FrozenClock
from storage.core import Core, build_core
from tests.bot.fault_kit import eventually, open_report_patiently, press_when_shown
from tests.config import CHEAP_RECEIPT_HASHING, TEST_SECRET
from tests.handlers.conversation import Talk, receipt_in, stored_cases
from tests.harness import bot_settings
from tgemu import BotHandle, EmulatorThread

# Kills a real process and waits for restarts: run alone, after the parallel run (README Tests).
pytestmark = pytest.mark.serial

HOLOS = str(Path(sys.executable).with_name("holos"))


class BotProcess:
    """`holos bot` (long polling) as its own process, killed without warning."""

    def __init__(self, env: dict[str, str], tg: BotHandle) -> None:
        self.env = env
        self.tg = tg
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        polls = len(await self.tg.calls("getUpdates"))
        self.process = await asyncio.create_subprocess_exec(
            HOLOS, "bot", env=self.env, stdout=asyncio.subprocess.DEVNULL
        )

        # Ready once it polls.
        async def polling() -> bool:
            return len(await self.tg.calls("getUpdates")) > polls

        await eventually(polling)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        assert self.process.returncode == -signal.SIGKILL


@pytest.fixture
async def bot_process(
    tmp_path: Path, sqlite_template: Path, tg: BotHandle, emulator: EmulatorThread
) -> AsyncIterator[BotProcess]:
    shutil.copyfile(sqlite_template, tmp_path / "holos.db")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "HOLOS_DATA_DIR": str(tmp_path),
        "HOLOS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'holos.db'}",
        "HOLOS_SECRET_KEY": TEST_SECRET,
        "HOLOS_BOT_TOKEN": tg.token,
        "HOLOS_TELEGRAM_API_URL": emulator.base_url,
        **{f"HOLOS_{k.upper()}": str(v) for k, v in CHEAP_RECEIPT_HASHING.items()},
    }
    process = BotProcess(env, tg)
    yield process
    if process.process is not None and process.process.returncode is None:
        process.process.kill()
        await process.process.wait()


@pytest.fixture
async def file_core(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Core]:
    """The test's own view of the bot's database file (to count cases)."""
    core = build_core(
        bot_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'holos.db'}"), clock=clock
    )
    yield core
    await core.close()


async def shown(talk: Talk, predicate: Callable[[str], bool]) -> None:
    await talk.user.wait_for(lambda m: m.from_bot and predicate(m.body), timeout=60)


@pytest.mark.slow  # three starts of a real process: about 20 s each on a loaded machine
async def test_sigkill_mid_flow_and_mid_submission(
    bot_process: BotProcess, file_core: Core, tg: BotHandle
) -> None:
    await bot_process.start()
    talk = Talk(await tg.create_user(id=733_000_001, first_name="K", language_code="en"), "en")
    await open_report_patiently(talk)
    await talk.user.send_text("Part one.", wait=False)
    await shown(talk, lambda body: body.startswith("Received: 1 message"))

    # Killed between two messages of a report: nothing of it lives in the process.
    await bot_process.kill()
    await bot_process.start()
    await talk.user.send_text("Part two.", wait=False)
    await shown(talk, lambda body: body.startswith("Received: 2 messages"))
    await press_when_shown(talk.user, talk.t("✅ Done"))
    await press_when_shown(talk.user, talk.t("🔒 Anonymous"))
    # The confirmation screen shows the code the case will take, before «Send».
    confirmation = await talk.user.wait_for(
        lambda m: talk.t("✅ Send") in m.button_labels, timeout=60
    )
    seen = receipt_in(confirmation.body)

    # Killed while the report is being filed: the receipt (the summary edited into it)
    # is on its way to Telegram (held up there), the case committed just before it.
    await tg.inject_delay("editMessageText", 30.0, times=1)
    await press_when_shown(talk.user, talk.t("✅ Send"))

    async def filed() -> bool:
        return bool(await stored_cases(file_core))

    await eventually(filed)
    await bot_process.kill()
    await tg.clear_faults()

    await bot_process.start()
    # The restarted bot carries on; the case is there once (the press was not handled
    # a second time). A /start is answered only after everything before it in the chat.
    newest = max(m.message_id for m in await talk.user.chat())
    await talk.user.send_text("/start", wait=False)
    menu = talk.t("📝 Complaint or feedback")
    await talk.user.wait_for(
        lambda m: m.message_id > newest and menu in m.button_labels, timeout=60
    )
    (case,) = await stored_cases(file_core)
    assert case.narrative == "Part one.\n\nPart two."
    # Whether or not the receipt arrived, the person saw the code before pressing «Send»:
    # it is the stored case's, and opens it.
    await talk.user.send_text("/status", wait=False)
    asked = talk.t("Please enter your receipt code: 16 digits, for example 1234 5678 9012 3456.")
    await talk.user.wait_for(lambda m: m.body == asked, timeout=60)
    await talk.user.send_text(seen, wait=False)
    await talk.user.wait_for(lambda m: m.body.startswith("Your report of "), timeout=60)
