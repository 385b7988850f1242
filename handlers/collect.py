"""Collecting a description (or an addition) over several messages: text, photos,
documents, voice. Shared by the report and the follow-up flows."""

from __future__ import annotations

from contextlib import suppress

from aiogram import F
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from handlers import flow, keyboards, media, texts
from handlers.context import Outcomes
from storage.core import Core
from storage.services.throttle import ReporterQuota

# What a description may be made of; a text starting with "/" is a command. A GIF
# also carries a ``document`` (for old clients): it is an animation, not a file.
ACCEPTED = ((F.text & ~F.text.startswith("/")) | F.photo | F.document | F.voice | F.audio) & (
    ~F.animation
)


async def take(
    message: Message,
    state: FSMContext,
    core: Core,
    *,
    flow_name: str,
    quota: ReporterQuota,
    outcomes: Outcomes,
) -> None:
    """Add one message to the draft, or say why it was not added; then show the tally."""
    await add(message, state, core, quota=quota, outcomes=outcomes)
    data = await flow.draft(state)
    n_texts, n_files = len(data.parts), len(data.files)
    await _tally(message, state, core, n_texts, n_files, flow_name)


async def add(
    message: Message, state: FSMContext, core: Core, *, quota: ReporterQuota, outcomes: Outcomes
) -> bool:
    """Add one message's text and file to the draft; say why when it cannot be.

    Returns whether something was added."""
    await flow.remember(state, message.message_id)
    data = await flow.draft(state)
    parts = list(data.parts)
    files = list(data.files)
    limit = core.settings.narrative_max_chars
    used = sum(len(p) for p in parts) + 2 * max(0, len(parts) - 1)

    text = (message.text or message.caption or "").strip()
    if text:
        separator = 2 if parts else 0
        if used + separator + len(text) > limit:
            await flow.say(
                message, state, texts.description_too_long(limit, limit - used - separator)
            )
            return False

    incoming = media.incoming_file(message)
    if incoming is not None:
        if len(files) >= core.settings.attachments_max_count:
            await flow.say(
                message, state, texts.too_many_files(core.settings.attachments_max_count)
            )
            return False
        outcome = await media.stage(message, core, incoming, quota=quota)
        if isinstance(outcome, media.QuotaRefusal):
            outcomes.add("quota_reached", "attachment_bytes")
        if isinstance(outcome, str):
            await flow.say(message, state, outcome)
            return False
        files.append(outcome)
    if text:
        parts.append(text)
    data.parts, data.files = parts, files
    await flow.save(state, data)
    return bool(text or incoming)


async def _tally(
    message: Message, state: FSMContext, core: Core, n_texts: int, n_files: int, flow_name: str
) -> None:
    """Show the running tally with «Done»; the previous tally goes, so one stays."""
    if not n_texts and not n_files:
        await flow.reprompt(message, state, core)
        return
    data = await flow.draft(state)
    previous = data.tally_id
    if previous and previous == data.prompt_id and message.bot is not None:
        await flow.commit_before_reply()
        with suppress(TelegramBadRequest, TelegramForbiddenError):
            await message.bot.delete_message(chat_id=message.chat.id, message_id=previous)
        data.prompt_id = None  # gone: nothing left to strip
        await flow.save(state, data)
    sent = await flow.show(
        message,
        state,
        texts.received_so_far(n_texts, n_files),
        keyboards.done(flow_name),
        edit=False,
    )
    if sent is not None:
        data = await flow.draft(state)
        data.tally_id = sent.message_id
        await flow.save(state, data)
