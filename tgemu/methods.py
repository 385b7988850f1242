"""Bot API methods with Telegram's semantics, each taking validated parameters.

Only methods a complaints bot plausibly calls are implemented; any other method that exists in
the specification is refused with "method not supported by the emulator" (and recorded) so a
test notices instead of passing on a silent no-op.

Long on purpose: one function per Bot API method, side by side, so each method's
semantics can be read against the specification in one place.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any

from tgemu import samples
from tgemu.errors import BotApiError, bad_request, conflict
from tgemu.files import MAX_DOWNLOAD_SIZE, StoredFile, UploadedFile
from tgemu.messages import message_json
from tgemu.state import BotWorld, Chat, StoredMessage
from tgemu.validation import render_text

Handler = Callable[[BotWorld, dict[str, Any], "CallContext"], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}

# Telegram lets bots delete messages in private chats only within 48 hours.
DELETE_WINDOW = 48 * 3600
MAX_COMMANDS = 100
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class CallContext:
    """Per-call extras a handler may fill in: affected message ids and an optional note."""

    def __init__(self) -> None:
        self.affected: list[int] = []
        self.description: str | None = None


def method(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[name] = func
        return func

    return register


def _now(world: BotWorld) -> int:
    return world.emulator.clock.unix()


# --- identity and updates -------------------------------------------------------------------


@method("getMe")
async def get_me(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    return world.me()


@method("logOut")
@method("close")
async def log_out(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    return True


@method("getUpdates")
async def get_updates(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    if world.webhook is not None:
        raise conflict(
            "can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
    limit = params.get("limit", 100)
    if not 1 <= limit <= 100:
        limit = min(max(limit, 1), 100)  # Telegram clamps rather than refuses
    timeout = max(0, params.get("timeout", 0))
    if "allowed_updates" in params:
        world.allowed_updates = list(params["allowed_updates"]) or None
    if params.get("offset"):
        world.confirm(params["offset"])
    # A newer getUpdates terminates the one in progress, as the real server does.
    owner = object()
    world.poll_owner = owner
    world.notify()
    loop_time = _loop_time()
    deadline = loop_time + timeout
    try:
        while True:
            if world.poll_owner is not owner:
                raise conflict(
                    "terminated by other getUpdates request; "
                    "make sure that only one bot instance is running"
                )
            if world.webhook is not None:
                raise conflict("webhook is active")
            if world.updates or world.emulator.closed:
                return world.updates[:limit]
            remaining = deadline - _loop_time()
            if remaining <= 0:
                return []
            await world.wait_change(remaining)
    finally:
        if world.poll_owner is owner:
            world.poll_owner = None


def _loop_time() -> float:
    import asyncio

    return asyncio.get_running_loop().time()


@method("setWebhook")
async def set_webhook(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    from tgemu.webhooks import configure_webhook

    await configure_webhook(world, params)
    ctx.description = "Webhook was set" if params["url"] else "Webhook was deleted"
    return True


@method("deleteWebhook")
async def delete_webhook(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    from tgemu.webhooks import remove_webhook

    had = world.webhook is not None
    await remove_webhook(world, drop_pending=bool(params.get("drop_pending_updates")))
    ctx.description = "Webhook was deleted" if had else "Webhook is already deleted"
    return True


@method("getWebhookInfo")
async def get_webhook_info(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    info: dict[str, Any] = {
        "url": world.webhook.url if world.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(world.updates),
    }
    if world.webhook is not None:
        info["max_connections"] = world.webhook.max_connections
        if world.webhook.ip_address:
            info["ip_address"] = world.webhook.ip_address
        if world.allowed_updates:
            info["allowed_updates"] = world.allowed_updates
    if world.webhook_last_error_date is not None:
        info["last_error_date"] = world.webhook_last_error_date
        info["last_error_message"] = world.webhook_last_error_message
    return info


# --- sending --------------------------------------------------------------------------------


def _reply_to(chat: Chat, params: dict[str, Any]) -> int | None:
    reply = params.get("reply_parameters") or {}
    target = reply.get("message_id", params.get("reply_to_message_id"))
    if target is None:
        return None
    if chat.messages.get(target) is None or chat.messages[target].deleted:
        allow = reply.get(
            "allow_sending_without_reply", params.get("allow_sending_without_reply", False)
        )
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return int(target)


def _apply_markup(chat: Chat, message: StoredMessage, markup: dict[str, Any] | None) -> None:
    """Inline keyboards belong to the message; reply keyboards to the chat's input area."""
    if not markup:
        return
    if "inline_keyboard" in markup:
        message.reply_markup = markup
    elif "keyboard" in markup:
        chat.reply_keyboard = markup
        chat.force_reply = None
    elif "remove_keyboard" in markup:
        chat.reply_keyboard = None
    elif "force_reply" in markup:
        chat.force_reply = markup


def _new_bot_message(world: BotWorld, chat: Chat, kind: str, params: dict[str, Any]) -> Any:
    return StoredMessage(
        message_id=chat.allocate_id(),
        chat_id=chat.id,
        sender="bot",
        date=_now(world),
        kind=kind,
        reply_to=_reply_to(chat, params),
    )


def _store(world: BotWorld, chat: Chat, message: StoredMessage, ctx: CallContext) -> Any:
    chat.messages[message.message_id] = message
    ctx.affected.append(message.message_id)
    return message_json(world, chat, message)


@method("sendMessage")
async def send_message(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    chat = world.bot_chat(params["chat_id"])
    text, entities = render_text(params["text"], params.get("parse_mode"), params.get("entities"))
    message = _new_bot_message(world, chat, "text", params)
    message.text = text
    message.raw_text = params["text"]
    message.entities = entities
    message.parse_mode = params.get("parse_mode")
    _apply_markup(chat, message, params.get("reply_markup"))
    return _store(world, chat, message, ctx)


# Which parameter carries the file, and what Telegram calls the media in a Message.
_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendAudio": "audio",
    "sendVoice": "voice",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendSticker": "sticker",
    "sendVideoNote": "video_note",
}
_FILE_FOLDERS = {
    "photo": "photos",
    "document": "documents",
    "audio": "music",
    "voice": "voice",
    "video": "videos",
    "animation": "animations",
    "sticker": "stickers",
    "video_note": "video_notes",
}


def _resolve_file(world: BotWorld, value: Any, kind: str) -> StoredFile:
    if isinstance(value, UploadedFile):
        mime = value.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
        return world.files.add(
            value.data, kind=_FILE_FOLDERS[kind], file_name=value.filename, mime_type=mime
        )
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            # The emulator is offline: it cannot fetch a URL the way Telegram would.
            raise bad_request("failed to get HTTP URL content")
        stored = world.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if (kind == "photo") != (stored.kind == "photos"):
            have = "Photo" if stored.kind == "photos" else "Document"
            raise bad_request(f"can't use file of type {have} as {kind.replace('_', ' ').title()}")
        return stored
    raise bad_request(f"there is no {kind} in the request")


def media_content(kind: str, stored: StoredFile, extra: dict[str, Any] | None = None) -> Any:
    """The Message fields describing one file of the given kind."""
    extra = extra or {}
    base = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if kind == "photo":
        width, height = stored.extra.get("width", 0), stored.extra.get("height", 0)
        if not width and stored.data:
            width, height = samples.image_size(stored.data) or (1, 1)
            stored.extra.update(width=width, height=height)
        sizes = []
        thumb = stored.extra.get("thumb")
        if isinstance(thumb, dict):
            sizes.append(thumb)
        sizes.append({**base, "width": width or 1, "height": height or 1})
        return {"photo": sizes}
    named = {**base}
    if stored.file_name:
        named["file_name"] = stored.file_name
    if stored.mime_type:
        named["mime_type"] = stored.mime_type
    if kind == "document":
        return {"document": named}
    if kind == "voice":
        return {"voice": {**base, "duration": extra.get("duration", 1), "mime_type": "audio/ogg"}}
    if kind == "audio":
        return {"audio": {**named, "duration": extra.get("duration", 1)}}
    if kind in {"video", "animation"}:
        media = {
            **named,
            "width": extra.get("width", 16),
            "height": extra.get("height", 16),
            "duration": extra.get("duration", 1),
        }
        if kind == "animation":
            # Telegram sends GIFs as both an animation and a document.
            return {"animation": media, "document": named}
        return {"video": media}
    if kind == "video_note":
        return {
            "video_note": {
                **base,
                "length": extra.get("length", 240),
                "duration": extra.get("duration", 1),
            }
        }
    if kind == "sticker":
        return {
            "sticker": {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": extra.get("emoji", "🙂"),
            }
        }
    raise bad_request(f"unsupported media kind {kind}")


async def _send_media(world: BotWorld, params: dict[str, Any], ctx: CallContext, kind: str) -> Any:
    chat = world.bot_chat(params["chat_id"])
    caption, caption_entities = render_text(
        params.get("caption"),
        params.get("parse_mode"),
        params.get("caption_entities"),
        caption=True,
    )
    stored = _resolve_file(world, params[kind], kind)
    message = _new_bot_message(world, chat, kind, params)
    message.content = media_content(kind, stored, params)
    message.file_id = stored.file_id
    message.caption = caption or None
    message.raw_caption = params.get("caption")
    message.caption_entities = caption_entities
    message.parse_mode = params.get("parse_mode")
    _apply_markup(chat, message, params.get("reply_markup"))
    return _store(world, chat, message, ctx)


def _media_handler(kind: str) -> Handler:
    async def handler(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
        return await _send_media(world, params, ctx, kind)

    return handler


for _name, _kind in _MEDIA_METHODS.items():
    HANDLERS[_name] = _media_handler(_kind)


@method("sendLocation")
async def send_location(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    chat = world.bot_chat(params["chat_id"])
    message = _new_bot_message(world, chat, "location", params)
    message.content = {
        "location": {"latitude": params["latitude"], "longitude": params["longitude"]}
    }
    _apply_markup(chat, message, params.get("reply_markup"))
    return _store(world, chat, message, ctx)


@method("sendContact")
async def send_contact(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    chat = world.bot_chat(params["chat_id"])
    message = _new_bot_message(world, chat, "contact", params)
    contact = {"phone_number": params["phone_number"], "first_name": params["first_name"]}
    if params.get("last_name"):
        contact["last_name"] = params["last_name"]
    message.content = {"contact": contact}
    _apply_markup(chat, message, params.get("reply_markup"))
    return _store(world, chat, message, ctx)


def _source_message(world: BotWorld, params: dict[str, Any], verb: str) -> tuple[Chat, Any]:
    source_id = world.resolve_chat_id(params["from_chat_id"])
    source_chat = world.chats.get(source_id) if source_id is not None else None
    if source_chat is None:
        raise bad_request("chat not found")
    source = world.message(source_chat, params["message_id"])
    if source is None:
        raise bad_request(f"message to {verb} not found")
    return source_chat, source


def _clone(world: BotWorld, chat: Chat, source: StoredMessage, params: dict[str, Any]) -> Any:
    message = _new_bot_message(world, chat, source.kind, params)
    message.text = source.text
    message.raw_text = source.raw_text
    message.entities = list(source.entities)
    message.content = json.loads(json.dumps(source.content))
    message.file_id = source.file_id
    message.caption = source.caption
    message.raw_caption = source.raw_caption
    message.caption_entities = list(source.caption_entities)
    return message


@method("copyMessage")
async def copy_message(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    _source_chat, source = _source_message(world, params, "copy")
    chat = world.bot_chat(params["chat_id"])
    message = _clone(world, chat, source, params)
    if "caption" in params or "caption_entities" in params:
        if source.kind == "text":
            raise bad_request("message text can't be edited")
        caption, entities = render_text(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            caption=True,
        )
        message.caption = caption or None
        message.raw_caption = params.get("caption")
        message.caption_entities = entities
    message.reply_markup = None
    _apply_markup(chat, message, params.get("reply_markup"))
    _store(world, chat, message, ctx)
    return {"message_id": message.message_id}


@method("forwardMessage")
async def forward_message(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    source_chat, source = _source_message(world, params, "forward")
    chat = world.bot_chat(params["chat_id"])
    message = _clone(world, chat, source, params)
    origin_user = world.me() if source.sender == "bot" else source_chat.user.to_user()
    message.forward_origin = {"type": "user", "date": source.date, "sender_user": origin_user}
    return _store(world, chat, message, ctx)


# --- editing --------------------------------------------------------------------------------


def _editable(world: BotWorld, params: dict[str, Any]) -> tuple[Chat, StoredMessage]:
    if params.get("inline_message_id"):
        raise bad_request("inline messages are not supported by the emulator")
    if "chat_id" not in params or "message_id" not in params:
        raise bad_request("message identifier is not specified")
    chat = world.bot_chat(params["chat_id"], sending=False)
    message = world.message(chat, params["message_id"])
    if message is None:
        raise bad_request("message to edit not found")
    if message.sender != "bot":
        raise bad_request("message can't be edited")
    return chat, message


def _inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = params.get("reply_markup")
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    # Editing without reply_markup removes the inline keyboard, as in Telegram.
    return markup or None


@method("editMessageText")
async def edit_message_text(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    chat, message = _editable(world, params)
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    if "text" not in params:
        raise bad_request("message text is empty")
    text, entities = render_text(params["text"], params.get("parse_mode"), params.get("entities"))
    markup = _inline_markup(params)
    if text == message.text and entities == message.entities and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.text = text
    message.raw_text = params["text"]
    message.entities = entities
    message.parse_mode = params.get("parse_mode")
    message.reply_markup = markup
    message.edit_date = _now(world)
    ctx.affected.append(message.message_id)
    return message_json(world, chat, message)


@method("editMessageCaption")
async def edit_message_caption(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    chat, message = _editable(world, params)
    if message.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    caption, entities = render_text(
        params.get("caption"),
        params.get("parse_mode"),
        params.get("caption_entities"),
        caption=True,
    )
    markup = _inline_markup(params)
    if (
        (caption or None) == message.caption
        and entities == message.caption_entities
        and markup == message.reply_markup
    ):
        raise bad_request(NOT_MODIFIED)
    message.caption = caption or None
    message.raw_caption = params.get("caption")
    message.caption_entities = entities
    message.reply_markup = markup
    message.edit_date = _now(world)
    ctx.affected.append(message.message_id)
    return message_json(world, chat, message)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(
    world: BotWorld, params: dict[str, Any], ctx: CallContext
) -> Any:
    chat, message = _editable(world, params)
    markup = _inline_markup(params)
    if markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    message.edit_date = _now(world)
    ctx.affected.append(message.message_id)
    return message_json(world, chat, message)


# --- deleting -------------------------------------------------------------------------------


def _delete_one(world: BotWorld, chat: Chat, message_id: int) -> str | None:
    """Delete a message; return Telegram's reason when it cannot be deleted."""
    message = world.message(chat, message_id)
    if message is None:
        return "message to delete not found"
    if _now(world) - message.date >= DELETE_WINDOW:
        return "message can't be deleted for everyone"
    message.deleted = True
    return None


@method("deleteMessage")
async def delete_message(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    chat = world.bot_chat(params["chat_id"], sending=False)
    reason = _delete_one(world, chat, params["message_id"])
    if reason:
        raise bad_request(reason)
    ctx.affected.append(params["message_id"])
    return True


@method("deleteMessages")
async def delete_messages(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    ids = params["message_ids"]
    if not 1 <= len(ids) <= 100:
        raise bad_request("too many messages to delete" if ids else "message_ids is empty")
    chat = world.bot_chat(params["chat_id"], sending=False)
    deleted = [mid for mid in ids if _delete_one(world, chat, mid) is None]
    if not deleted:
        # Messages that cannot be found are skipped, but deleting none at all is an error.
        raise bad_request("message to delete not found")
    ctx.affected.extend(deleted)
    return True


# --- callbacks, chat actions ----------------------------------------------------------------


@method("answerCallbackQuery")
async def answer_callback_query(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    record = world.callbacks.get(params["callback_query_id"])
    if record is None or record.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.get("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    chat = world.chats[record.chat_id]
    chat.callback_answers.append(
        {
            "callback_query_id": record.id,
            "message_id": record.message_id,
            "data": record.data,
            "text": text,
            "show_alert": bool(params.get("show_alert", False)),
            "url": params.get("url"),
            "date": _now(world),
        }
    )
    return True


@method("sendChatAction")
async def send_chat_action(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    if params["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat = world.bot_chat(params["chat_id"])
    chat.chat_actions.append({"action": params["action"], "date": _now(world)})
    return True


@method("getChat")
async def get_chat(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    chat = world.bot_chat(params["chat_id"], sending=False)
    return {
        **chat.user.to_chat(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


@method("getFile")
async def get_file(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    stored = world.files.get(params["file_id"])
    if stored is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    if stored.size > MAX_DOWNLOAD_SIZE or stored.data is None:
        raise bad_request("file is too big")
    path = world.files.assign_path(stored)
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": path,
    }


# --- commands, menu button, profile ---------------------------------------------------------


def _scope_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True)


@method("setMyCommands")
async def set_my_commands(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    commands = params["commands"]
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands")
    for command in commands:
        name = command["command"]
        if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"]) <= 256:
            raise bad_request("command description is empty")
    key = (_scope_key(params), params.get("language_code", ""))
    if commands:
        world.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
    else:
        world.commands.pop(key, None)
    return True


@method("getMyCommands")
async def get_my_commands(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    return world.commands.get((_scope_key(params), params.get("language_code", "")), [])


@method("deleteMyCommands")
async def delete_my_commands(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    world.commands.pop((_scope_key(params), params.get("language_code", "")), None)
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    chat_id = params.get("chat_id")
    if chat_id is not None:
        world.bot_chat(chat_id, sending=False)
    world.menu_buttons[chat_id] = params.get("menu_button") or {"type": "default"}
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
    chat_id = params.get("chat_id")
    button = world.menu_buttons.get(chat_id) or world.menu_buttons.get(None)
    return button or {"type": "commands"}


def _profile_setter(field: str, limit: int) -> Handler:
    async def handler(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
        value = params.get(field, "") or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        key = (field, params.get("language_code", ""))
        if value:
            world.profile_texts[key] = value
        else:
            world.profile_texts.pop(key, None)
        return True

    return handler


def _profile_getter(field: str) -> Handler:
    async def handler(world: BotWorld, params: dict[str, Any], ctx: CallContext) -> Any:
        key = (field, params.get("language_code", ""))
        value = world.profile_texts.get(key) or world.profile_texts.get((field, ""), "")
        if field == "name" and not value:
            value = world.first_name
        return {field: value}

    return handler


for _field, _limit, _set, _get in (
    ("description", 512, "setMyDescription", "getMyDescription"),
    ("short_description", 120, "setMyShortDescription", "getMyShortDescription"),
    ("name", 64, "setMyName", "getMyName"),
):
    HANDLERS[_set] = _profile_setter(_field, _limit)
    HANDLERS[_get] = _profile_getter(_field)


def unsupported() -> BotApiError:
    return bad_request("method not supported by the emulator")
