"""A local stand-in for the Telegram Bot API, faithful enough for the real aiogram client.

Used by the tests, the benchmarks and the offline sandbox (``holos sandbox``), where a person
chats with the bot through ``/sandbox/``. See ``runner`` for how to start it and ``client`` for
simulated users.
"""

from tgemu.app import create_app
from tgemu.client import BotHandle, ChatMessage, EmulatorClient, Replies, SimulatedUser
from tgemu.clock import EmulatorClock
from tgemu.runner import EmulatorThread, RunningEmulator, run_emulator, serve
from tgemu.state import Emulator

__all__ = [
    "BotHandle",
    "ChatMessage",
    "Emulator",
    "EmulatorClient",
    "EmulatorClock",
    "EmulatorThread",
    "Replies",
    "RunningEmulator",
    "SimulatedUser",
    "create_app",
    "run_emulator",
    "serve",
]
