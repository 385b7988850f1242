"""Typed bursts answered once.

People type several short messages in a row. Each one answered with a message of its own
(or two: "kept" and the question again) spends Telegram's overall limit of about thirty
messages a second, shared by everyone filing at that moment, and buries the question
under a stack of identical answers. So the first message is answered at once, and the
answer opens a short window: what the person sends within it is added to the draft at
once, as always, but its answer is gathered into one edit of that first answer, made
when the window closes. A flood keeps being gathered, one edit per window.

The window lives in this process's memory for those seconds only (a message id and the
chat to edit it in, as any Bot API call in flight holds them): nothing is stored. With
several instances behind one token, a message handled by another instance is answered
at once, as before; nothing is lost either way.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup

log = logging.getLogger("holos.bot.gather")

# About the pause between two lines a person types in one go.
WINDOW = 1.5


@dataclass
class _Window:
    bot: Bot
    chat_id: int
    message_id: int
    until: float
    text: str | None = None
    markup: InlineKeyboardMarkup | None = None
    task: asyncio.Task[None] | None = None
    sending: bool = False


class Gatherer:
    """The open windows of this process, and the edits waiting for their window to close."""

    def __init__(self, window: float = WINDOW, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.clock = clock
        self._windows: dict[tuple[int, int], _Window] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def pending(self) -> int:
        """Edits waiting for their window to close (the bot is not idle while any is)."""
        return sum(1 for w in self._windows.values() if w.task is not None)

    def open(self, bot: Bot, chat_id: int, message_id: int) -> None:
        """``message_id`` just answered a typed message: gather what follows into it."""
        if self.window <= 0:
            return
        self._forget_closed()
        key = (bot.id, chat_id)
        old = self._windows.get(key)
        if old is not None and old.task is not None:
            old.task.cancel()
        self._windows[key] = _Window(bot, chat_id, message_id, self.clock() + self.window)
        self._update_idle()

    def is_open(self, bot: Bot, chat_id: int, message_id: int | None) -> bool:
        found = self._windows.get((bot.id, chat_id))
        return (
            found is not None
            and message_id is not None
            and found.message_id == message_id
            and (found.task is not None or self.clock() < found.until)
        )

    def defer(
        self,
        bot: Bot,
        chat_id: int,
        message_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
    ) -> bool:
        """Have the window's answer read ``text`` when the window closes. False when no
        window is open on ``message_id`` (then answer now)."""
        if not self.is_open(bot, chat_id, message_id):
            return False
        window = self._windows[(bot.id, chat_id)]
        window.text, window.markup = text, markup
        if window.task is None:
            # A context of its own: the edit belongs to no update (no unit of work, no
            # update's language), and it is made after the update has ended.
            window.task = asyncio.create_task(
                self._flush(window), name="holos-gather", context=contextvars.Context()
            )
            self._update_idle()
        return True

    async def interrupt(self, bot: Bot | None, chat_id: int) -> None:
        """Something else is about to be shown in this chat: a gathered edit must not land
        on top of it. An edit not yet begun is dropped (the new screen shows the draft as
        it is); one on its way is let finish first, so the two arrive in order."""
        if bot is None:
            return
        window = self._windows.pop((bot.id, chat_id), None)
        if window is None or window.task is None:
            return
        if window.sending:
            await asyncio.shield(window.task)
        else:
            window.task.cancel()
        self._update_idle()

    async def _flush(self, window: _Window) -> None:
        try:
            await asyncio.sleep(max(0.0, window.until - self.clock()))
            window.sending = True
            if window.text is not None:
                try:
                    await window.bot.edit_message_text(
                        text=window.text,
                        chat_id=window.chat_id,
                        message_id=window.message_id,
                        reply_markup=window.markup,
                    )
                except TelegramAPIError as exc:
                    # Deleted by the person, or the same text: the draft holds it all anyway.
                    log.info("gathered_edit_failed error=%s", type(exc).__name__)
                except Exception as exc:  # nobody awaits this task: say it, never lose it
                    log.warning("gathered_edit_failed error=%s", type(exc).__name__)
        except asyncio.CancelledError:
            pass
        finally:
            window.task = None
            window.sending = False
            # A flood keeps gathering: the next window starts where this edit landed.
            window.until = self.clock() + self.window
            self._update_idle()

    def _forget_closed(self) -> None:
        now = self.clock()
        for key, window in list(self._windows.items()):
            if window.task is None and window.until <= now:
                del self._windows[key]

    def _update_idle(self) -> None:
        if self.pending:
            self._idle.clear()
        else:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Until no gathered edit is waiting (a stop lets them land before it closes)."""
        await self._idle.wait()


_current: ContextVar[Gatherer | None] = ContextVar("holos_gatherer", default=None)


def use(gatherer: Gatherer | None) -> None:
    """The gatherer of the update being handled (set by the dispatcher)."""
    _current.set(gatherer)


def current() -> Gatherer | None:
    return _current.get()
