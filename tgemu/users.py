"""What simulated users do: each action stores a message and queues the update Telegram would send."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from tgemu import samples
from tgemu.errors import ControlError
from tgemu.files import StoredFile
from tgemu.messages import chat_view, message_json, message_view
from tgemu.methods import media_content
from tgemu.state import BotWorld, Chat, SimUser, StoredMessage

_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?")
MEDIA_KINDS = {"photo", "document", "voice", "sticker", "animation", "video_note", "video", "audio"}
USER_KINDS = MEDIA_KINDS | {"text", "location", "contact", "poll"}


def create_user(world: BotWorld, data: dict[str, Any]) -> SimUser:
    user_id = data.get("id")
    if user_id is None:
        user_id = 100000 + len(world.users) + 1
        while user_id in world.users:
            user_id += 1
    if not isinstance(user_id, int) or user_id <= 0:
        raise ControlError(400, "user id must be a positive integer")
    return world.add_user(
        SimUser(
            id=user_id,
            first_name=str(data.get("first_name") or "Test"),
            last_name=data.get("last_name") or None,
            username=data.get("username") or None,
            language_code=data.get("language_code") or None,
        )
    )


def _writable_chat(world: BotWorld, user_id: int) -> Chat:
    chat = world.chat_for_user(user_id)
    if chat.user.blocked:
        raise ControlError(409, "the user has blocked the bot; unblock it first")
    return chat


def _result(
    world: BotWorld, chat: Chat, update: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    return {
        "update_id": update["update_id"] if update else None,
        "filtered": bool(update and update.get("filtered")),
        "seq": world.seq,
        "chat": chat_view(chat),
        **extra,
    }


def command_entities(text: str) -> list[dict[str, Any]]:
    """Telegram marks every /command in a user's text as a bot_command entity."""
    entities = []
    for match in _COMMAND_RE.finditer(text):
        prefix = text[: match.start()]
        entities.append(
            {
                "type": "bot_command",
                "offset": len(prefix.encode("utf-16-le")) // 2,
                "length": len(match.group(0).encode("utf-16-le")) // 2,
            }
        )
    return entities


def _decode_data(data: dict[str, Any]) -> bytes | None:
    encoded = data.get("data_base64")
    if encoded is None:
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ControlError(400, "data_base64 is not valid base64") from exc


def _store_user_file(world: BotWorld, kind: str, data: dict[str, Any]) -> StoredFile:
    raw = _decode_data(data)
    declared = data.get("size")
    file_name = data.get("file_name")
    mime_type = data.get("mime_type")
    if raw is None and declared is None:
        raw, default_name, default_mime = {
            "photo": (samples.jpeg_with_exif(), None, "image/jpeg"),
            "document": (samples.pdf(), "report.pdf", "application/pdf"),
            "voice": (samples.ogg_voice(), None, "audio/ogg"),
            "audio": (samples.ogg_voice(), "audio.ogg", "audio/ogg"),
            "sticker": (samples.webp_sticker(), None, "image/webp"),
            "animation": (samples.gif(), "animation.gif", "image/gif"),
            "video_note": (samples.mp4_video(), None, "video/mp4"),
            "video": (samples.mp4_video(), "video.mp4", "video/mp4"),
        }[kind]
        file_name = file_name or default_name
        mime_type = mime_type or default_mime
    folder = {"photo": "photos", "voice": "voice", "sticker": "stickers"}.get(kind, kind + "s")
    stored = world.files.add(
        raw,
        kind=folder,
        size=int(declared) if declared is not None and raw is None else None,
        file_name=file_name,
        mime_type=mime_type,
    )
    if kind == "photo" and raw is not None:
        size = samples.image_size(raw)
        if size:
            stored.extra.update(width=size[0], height=size[1])
            thumb = samples.thumbnail(raw)
            if thumb is not None and (size[0] > 32 or size[1] > 32):
                small = world.files.add(thumb, kind="photos", mime_type="image/jpeg")
                thumb_size = samples.image_size(thumb) or (32, 32)
                stored.extra["thumb"] = {
                    "file_id": small.file_id,
                    "file_unique_id": small.file_unique_id,
                    "file_size": small.size,
                    "width": thumb_size[0],
                    "height": thumb_size[1],
                }
    return stored


def user_send(world: BotWorld, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """A user sends something to the bot: text, a command, media, a location, a poll..."""
    kind = str(data.get("kind") or "text")
    if kind not in USER_KINDS:
        raise ControlError(400, f"unknown message kind {kind!r}; one of {sorted(USER_KINDS)}")
    chat = _writable_chat(world, user_id)
    message = StoredMessage(
        message_id=chat.allocate_id(),
        chat_id=chat.id,
        sender="user",
        date=world.emulator.clock.unix(),
        kind=kind,
    )
    reply_to = data.get("reply_to_message_id")
    if reply_to is not None:
        if world.message(chat, int(reply_to)) is None:
            raise ControlError(404, f"message {reply_to} is not in the chat")
        message.reply_to = int(reply_to)
    if kind == "text":
        text = str(data.get("text") or "")
        if not text.strip():
            raise ControlError(400, "Telegram clients do not send empty messages")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise ControlError(400, "Telegram clients split texts over 4096 characters")
        message.text = message.raw_text = text
        message.entities = command_entities(text)
    elif kind in MEDIA_KINDS:
        stored = _store_user_file(world, kind, data)
        message.file_id = stored.file_id
        message.content = media_content(kind, stored, data)
        if data.get("caption"):
            message.caption = message.raw_caption = str(data["caption"])
    elif kind == "location":
        message.content = {
            "location": {
                "latitude": float(data.get("latitude", 50.45)),
                "longitude": float(data.get("longitude", 30.52)),
            }
        }
    elif kind == "contact":
        contact: dict[str, Any] = {
            "phone_number": str(data.get("phone_number") or "+380000000000"),
            "first_name": str(data.get("first_name") or chat.user.first_name),
        }
        if data.get("share_own", True):
            contact["user_id"] = chat.user.id
        message.content = {"contact": contact}
    elif kind == "poll":
        message.content = {"poll": _poll(world, data)}
    chat.messages[message.message_id] = message
    chat.user.started = True
    update = world.enqueue("message", message_json(world, chat, message))
    return _result(world, chat, update, message=message_view(message))


def _poll(world: BotWorld, data: dict[str, Any]) -> dict[str, Any]:
    options = [str(o) for o in data.get("options") or ["Yes", "No"]]
    if not 2 <= len(options) <= 12:
        raise ControlError(400, "a poll has 2 to 12 options")
    question = str(data.get("question") or "Question?")
    poll_id = hashlib.sha256(f"{world.bot_id}:{question}:{world.seq}".encode()).hexdigest()[:16]
    return {
        "id": poll_id,
        "question": question,
        "options": [
            {"persistent_id": str(index), "text": text, "voter_count": 0}
            for index, text in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": True,
        "members_only": False,
    }


def user_edit(world: BotWorld, user_id: int, message_id: int, text: str) -> dict[str, Any]:
    chat = _writable_chat(world, user_id)
    message = world.message(chat, message_id)
    if message is None or message.sender != "user":
        raise ControlError(404, f"the user has no message {message_id} to edit")
    if message.kind == "text":
        if not text.strip():
            raise ControlError(400, "Telegram clients do not allow empty texts")
        message.text = message.raw_text = text
        message.entities = command_entities(text)
    else:
        message.caption = message.raw_caption = text or None
    message.edit_date = world.emulator.clock.unix()
    update = world.enqueue("edited_message", message_json(world, chat, message))
    return _result(world, chat, update, message=message_view(message))


def _find_button(
    chat: Chat, label: str | None, data: str | None, message_id: int | None
) -> tuple[StoredMessage, dict[str, Any]]:
    if message_id is not None:
        candidates = [m for m in chat.visible() if m.message_id == message_id]
        if not candidates:
            raise ControlError(404, f"message {message_id} is not in the chat")
    else:
        candidates = [m for m in reversed(chat.visible()) if m.sender == "bot"]
    seen: list[str] = []
    for message in candidates:
        for row in (message.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                seen.append(button.get("text", ""))
                if (label is not None and button.get("text") == label) or (
                    data is not None and button.get("callback_data") == data
                ):
                    return message, button
    wanted = f"label {label!r}" if label is not None else f"callback_data {data!r}"
    raise ControlError(404, f"no inline button with {wanted}; visible buttons: {seen}")


def _callback(
    world: BotWorld, chat: Chat, message: dict[str, Any], message_id: int, data: str
) -> dict[str, Any] | None:
    record_id = world.new_callback_id()
    from tgemu.state import CallbackRecord

    world.callbacks[record_id] = CallbackRecord(
        id=record_id, chat_id=chat.id, message_id=message_id, user_id=chat.user.id, data=data
    )
    payload = {
        "id": record_id,
        "from": chat.user.to_user(),
        "message": message,
        "chat_instance": str(-abs(hash((world.bot_id, chat.id))) % 10**18),
        "data": data,
    }
    return world.enqueue("callback_query", payload)


def user_press(
    world: BotWorld,
    user_id: int,
    *,
    label: str | None = None,
    data: str | None = None,
    message_id: int | None = None,
) -> dict[str, Any]:
    """Press an inline button by label or callback_data, on the newest message that has it."""
    if label is None and data is None:
        raise ControlError(400, "give the button's text or its callback_data")
    chat = _writable_chat(world, user_id)
    message, button = _find_button(chat, label, data, message_id)
    if button.get("callback_data") is None:
        raise ControlError(400, f"button {button.get('text')!r} is not a callback button")
    update = _callback(
        world,
        chat,
        message_json(world, chat, message),
        message.message_id,
        button["callback_data"],
    )
    return _result(world, chat, update, message=message_view(message), button=button)


def user_callback(
    world: BotWorld, user_id: int, data: str, message_id: int, *, inaccessible: bool = False
) -> dict[str, Any]:
    """Send arbitrary callback_data on a message: a stale or forged button press."""
    chat = _writable_chat(world, user_id)
    message = world.message(chat, message_id)
    if inaccessible or message is None:
        # Telegram sends an InaccessibleMessage (date 0) for messages the bot can no longer see.
        payload = {"chat": chat.user.to_chat(), "message_id": message_id, "date": 0}
    else:
        payload = message_json(world, chat, message)
    update = _callback(world, chat, payload, message_id, data)
    return _result(world, chat, update)


def set_blocked(world: BotWorld, user_id: int, blocked: bool) -> dict[str, Any]:
    """Block or unblock the bot; Telegram tells the bot with a my_chat_member update."""
    chat = world.chat_for_user(user_id)
    user = chat.user
    if user.blocked == blocked:
        return _result(world, chat, None)
    user.blocked = blocked
    bot_user = {k: world.me()[k] for k in ("id", "is_bot", "first_name", "username")}
    member = {"status": "member", "user": bot_user}
    kicked = {"status": "kicked", "user": bot_user, "until_date": 0}
    update = world.enqueue(
        "my_chat_member",
        {
            "chat": user.to_chat(),
            "from": user.to_user(),
            "date": world.emulator.clock.unix(),
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        },
    )
    return _result(world, chat, update)
