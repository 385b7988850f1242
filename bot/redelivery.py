"""Duplicate updates, in one place.

Telegram may deliver an update again: a webhook retry, polling after a restart, another
instance on the same token. One whose effects are already stored is recognised by its id
and not handled again. Ids are stored only as keyed tags (storage.crypto.Crypto.update_tag):
they count up across all chats, and plain they would order people's actions.

Per update, and only through this object:

1. :meth:`Redelivery.tag_to_check`: under the chat's isolation lock (so two deliveries
   of one update cannot both pass), the conversation state's read carries the check
   when its storage can (bot.fsm.UpdateStateMiddleware; on SQLite the state, the kept
   language and the check are one statement, one short read instead of two);
2. :meth:`Redelivery.seen`: the answer, from that read, else from a read of its own
   (Redis state, or an update without a chat);
3. :meth:`Redelivery.recorder`: the id is recorded with the update's first commit
   (storage.uow), so an update whose effects are stored is never handled twice.

Nothing passes between the steps behind the reader's back: the state read's answer
travels in the update's data (``first_read``, bot.fsm.FirstRead).
"""

from __future__ import annotations

from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.core import Core
from storage.repositories.updates import ProcessedUpdates
from storage.uow import Writer


class Redelivery:
    """Whether an update was handled before, and recording that it was.

    ``enabled=False`` (the sandbox, whose emulator counts update ids from 1 again at
    every start) treats every update as new and records none."""

    def __init__(self, core: Core, *, enabled: bool = True) -> None:
        self.core = core
        self.enabled = enabled

    def update_id(self, event: TelegramObject) -> int | None:
        """The id to check for this event (None: not checked)."""
        return event.update_id if self.enabled and isinstance(event, Update) else None

    def tag_to_check(self, event: TelegramObject) -> int | None:
        """The tag a state read should check alongside the state (None: nothing to check)."""
        update_id = self.update_id(event)
        return self.core.crypto.update_tag(update_id) if update_id is not None else None

    async def seen(self, update_id: int, *, answered: bool | None) -> bool:
        """Whether ``update_id`` was handled before. ``answered``: what the state read
        found, when it carried the check (see :meth:`tag_to_check`); else it is read here.
        Called under the chat's lock, as the state read is."""
        if answered is not None:
            return answered
        async with self.core.database.read_only() as session:
            return await ProcessedUpdates(session).seen(self.core.crypto.update_tag(update_id))

    def recorder(self, update_id: int) -> Writer:
        """The write that records ``update_id`` as handled, for the update's first commit."""
        tag = self.core.crypto.update_tag(update_id)

        async def record(session: AsyncSession) -> None:
            await ProcessedUpdates(session).record(tag, self.core.clock.now())

        return record
