"""Two renderings of a stored message: Telegram's Message object, and what the user sees."""

from __future__ import annotations

from typing import Any

from tgemu.state import BotWorld, Chat, StoredMessage


def message_json(
    world: BotWorld, chat: Chat, message: StoredMessage, *, with_reply: bool = True
) -> dict[str, Any]:
    """The Message object as the Bot API returns it and puts it in updates."""
    sender = world.me() if message.sender == "bot" else chat.user.to_user()
    if message.sender == "bot":
        sender = {key: sender[key] for key in ("id", "is_bot", "first_name", "username")}
    data: dict[str, Any] = {
        "message_id": message.message_id,
        "from": sender,
        "chat": chat.user.to_chat(),
        "date": message.date,
    }
    if message.edit_date is not None:
        data["edit_date"] = message.edit_date
    if message.forward_origin is not None:
        data["forward_origin"] = message.forward_origin
    if with_reply and message.reply_to is not None:
        replied = chat.messages.get(message.reply_to)
        if replied is not None and not replied.deleted:
            data["reply_to_message"] = message_json(world, chat, replied, with_reply=False)
    if message.text is not None:
        data["text"] = message.text
        if message.entities:
            data["entities"] = message.entities
    data.update(message.content)
    if message.caption:
        data["caption"] = message.caption
        if message.caption_entities:
            data["caption_entities"] = message.caption_entities
    if message.reply_markup:
        data["reply_markup"] = message.reply_markup
    return data


def message_view(message: StoredMessage) -> dict[str, Any]:
    """A message as the person in the chat sees it (the chat page and test helpers use this)."""
    view: dict[str, Any] = {
        "message_id": message.message_id,
        "sender": message.sender,
        "kind": message.kind,
        "date": message.date,
        "text": message.text,
        "raw_text": message.raw_text,
        "caption": message.caption,
        "raw_caption": message.raw_caption,
        "entities": message.entities or message.caption_entities,
        "parse_mode": message.parse_mode,
        "buttons": message.buttons(),
        "edit_date": message.edit_date,
        "reply_to_message_id": message.reply_to,
        "deleted": message.deleted,
        "file": _file_view(message),
        "content": {k: v for k, v in message.content.items() if k in _PLAIN_CONTENT},
    }
    return view


_PLAIN_CONTENT = {"location", "contact", "poll", "sticker", "voice", "video_note", "video"}


def _file_view(message: StoredMessage) -> dict[str, Any] | None:
    if message.file_id is None:
        return None
    content = message.content
    media = content.get("document") or content.get(message.kind) or {}
    if isinstance(media, list):
        media = media[-1] if media else {}
    return {
        "file_id": message.file_id,
        "file_name": media.get("file_name"),
        "mime_type": media.get("mime_type") or ("image/jpeg" if message.kind == "photo" else None),
        "file_size": media.get("file_size"),
    }


def chat_view(chat: Chat) -> dict[str, Any]:
    return {
        "chat_id": chat.id,
        "user": chat.user.describe(),
        "messages": [message_view(m) for m in chat.visible()],
        "callback_answers": list(chat.callback_answers),
        "reply_keyboard": chat.reply_keyboard,
        "force_reply": chat.force_reply,
    }
