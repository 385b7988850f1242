"""Collecting a description (or an addition) over several messages: text, photos,
documents, voice. Shared by the report and the follow-up flows."""

from __future__ import annotations

from contextlib import suppress

from aiogram import F
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from handlers import flow, gather, keyboards, media, texts
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
    added = await add(message, state, core, quota=quota, outcomes=outcomes)
    await answer(message, state, core, added=added)


async def answer(
    message: Message,
    state: FSMContext,
    core: Core,
    *,
    added: bool,
    ack: bool = False,
    refusal: str | None = None,
) -> None:
    """Answer a message the person sent with the current step shown again below it (the
    tally, or the question the buttons answer): at once for the first of a burst, and for
    the messages that follow within the gathering window, in one edit of that answer when
    the window closes (handlers.gather). ``ack``: say first that it went into the
    description (at a step answered with buttons); ``refusal``: what was not taken, and
    why (never gathered: it is said at once)."""
    data = await flow.draft(state)
    burst = data.burst + 1 if added else 0
    screen = await flow.render(message, state, core)
    if screen is None:
        screen = flow.Screen([texts.menu_prompt()], keyboards.main_menu(core.catalog), False)
    chunks = list(screen.chunks)
    if ack and burst:
        chunks[0] = texts.added_to_description(burst) + "\n\n" + chunks[0]
    if refusal:
        chunks[0] = refusal + "\n\n" + chunks[0]
    gatherer = gather.current()
    data = await flow.draft(state)  # as the step's rendering left it
    prompt_id = data.prompt_id
    if (
        added
        and not refusal
        and gatherer is not None
        and message.bot is not None
        and len(chunks) == 1
        and prompt_id is not None
        and prompt_id == data.answer_id
        and gatherer.defer(message.bot, message.chat.id, prompt_id, chunks[0], screen.markup)
    ):
        data.burst = burst
        await flow.save(state, data)
        return
    if prompt_id is not None and data.answer_id == prompt_id and message.bot is not None:
        # The previous answer to what they sent says what this one says again below: it
        # goes, rather than staying with its buttons taken off.
        await flow.commit_before_reply()
        with suppress(TelegramBadRequest, TelegramForbiddenError):
            await message.bot.delete_message(chat_id=message.chat.id, message_id=prompt_id)
        data.prompt_id = None  # gone: nothing left to strip
        await flow.save(state, data)
    sent = await flow.show(
        message, state, chunks, screen.markup, edit=False, protect=screen.protect
    )
    if sent is None:
        return
    data = await flow.draft(state)
    data.answer_id, data.burst = sent.message_id, (1 if added else 0)
    await flow.save(state, data)
    if added and gatherer is not None and message.bot is not None:
        gatherer.open(message.bot, message.chat.id, sent.message_id)


async def add(
    message: Message, state: FSMContext, core: Core, *, quota: ReporterQuota, outcomes: Outcomes
) -> bool:
    """Add one message's text and file to the draft; say why when one cannot be.

    The text (a caption too) and the file are judged apart: a refused file does not take
    its caption with it, and the refusal speaks of the file only. Returns whether
    something was added."""
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
            text = ""
    incoming = media.incoming_file(message)
    if incoming is not None:
        if len(files) >= core.settings.attachments_max_count:
            await flow.say(
                message, state, texts.too_many_files(core.settings.attachments_max_count)
            )
            incoming = None
        else:
            outcome = await media.stage(message, core, incoming, quota=quota)
            if isinstance(outcome, media.QuotaRefusal):
                outcomes.add("quota_reached", "attachment_bytes")
            if isinstance(outcome, str):
                await flow.say(message, state, outcome)
                incoming = None
            else:
                files.append(outcome)
    if text:
        parts.append(text)
    if not (text or incoming):
        return False
    data = await flow.draft(state)  # a refusal said above may have changed it
    data.parts, data.files = parts, files
    await flow.save(state, data)
    return True


async def add_caption(message: Message, state: FSMContext, core: Core) -> bool:
    """The words sent with a file we do not take (a video): they are kept."""
    await flow.remember(state, message.message_id)
    text = (message.caption or "").strip()
    if not text:
        return False
    data = await flow.draft(state)
    limit = core.settings.narrative_max_chars
    used = sum(len(p) for p in data.parts) + 2 * max(0, len(data.parts) - 1)
    separator = 2 if data.parts else 0
    if used + separator + len(text) > limit:
        await flow.say(message, state, texts.description_too_long(limit, limit - used - separator))
        return False
    data.parts = [*data.parts, text]
    await flow.save(state, data)
    return True
