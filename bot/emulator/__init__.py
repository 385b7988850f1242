"""A local stand-in for the Telegram Bot API, faithful enough for the real aiogram client.

Used by the tests, the benchmarks and the offline sandbox (``holos sandbox``), where a person
chats with the bot through ``/sandbox/``. See ``runner`` for how to start it and ``client`` for
simulated users.
"""

from bot.emulator.app import create_app
from bot.emulator.client import BotHandle, ChatMessage, EmulatorClient, Replies, SimulatedUser
from bot.emulator.clock import Clock
from bot.emulator.runner import EmulatorThread, RunningEmulator, run_emulator, serve
from bot.emulator.state import Emulator

__all__ = [
    "BotHandle",
    "ChatMessage",
    "Clock",
    "Emulator",
    "EmulatorClient",
    "EmulatorThread",
    "Replies",
    "RunningEmulator",
    "SimulatedUser",
    "create_app",
    "run_emulator",
    "serve",
]
