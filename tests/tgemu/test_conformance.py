"""Malformed calls are refused exactly as Telegram refuses them, and every refusal is recorded."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.tgemu.helpers import ApiCall
from tgemu import BotHandle, EmulatorClient, SimulatedUser

USER_ID = 5001


@pytest.fixture
async def user(bot_handle: BotHandle) -> SimulatedUser:
    """A user who has written to the bot, so the bot may message them."""
    user = await bot_handle.create_user(id=USER_ID, first_name="Olena")
    await user.send_text("/start", wait=False)
    return user


async def refused(
    bot_handle: BotHandle, response: httpx.Response, code: int, description: str
) -> dict[str, Any]:
    """Assert a Telegram-shaped refusal, and that it is listed among the invalid calls."""
    body = response.json()
    assert response.status_code == code, body
    assert body == {"ok": False, "error_code": code, "description": description}
    invalid = await bot_handle.invalid_calls()
    assert invalid, "a refused call must be recorded"
    assert invalid[-1]["description"] == description
    return invalid[-1]


def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"inline_keyboard": list(rows)}


async def test_unknown_method_is_not_found(api: ApiCall, bot_handle: BotHandle) -> None:
    record = await refused(bot_handle, await api("sendMessageNow", {}), 404, "Not Found")
    assert record["method"] == "sendMessageNow"


async def test_method_names_are_case_insensitive(api: ApiCall) -> None:
    response = await api("GETME")
    assert response.json()["ok"] is True


async def test_malformed_token_is_unauthorized(
    http: httpx.AsyncClient, client: EmulatorClient
) -> None:
    before = len(await client.invalid_calls())
    for bad in ("123:short", "abc:" + "A" * 35, "123456" + "A" * 35):
        response = await http.post(f"/bot{bad}/getMe", json={})
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert len(await client.invalid_calls()) == before + 3


async def test_missing_required_parameters(
    api: ApiCall, bot_handle: BotHandle, user: SimulatedUser
) -> None:
    await refused(bot_handle, await api("getFile", {}), 400, "Bad Request: file_id is required")
    await refused(
        bot_handle,
        await api("sendMessage", {"chat_id": USER_ID}),
        400,
        "Bad Request: message text is empty",
    )
    await refused(
        bot_handle, await api("sendMessage", {"text": "hi"}), 400, "Bad Request: chat_id is empty"
    )


async def test_unknown_parameter(api: ApiCall, bot_handle: BotHandle, user: SimulatedUser) -> None:
    await refused(
        bot_handle,
        await api("sendMessage", {"chat_id": USER_ID, "text": "hi", "colour": "red"}),
        400,
        'Bad Request: unknown parameter "colour"',
    )


async def test_wrong_types_in_json(
    api: ApiCall, bot_handle: BotHandle, user: SimulatedUser
) -> None:
    await refused(
        bot_handle,
        await api("getUpdates", {"limit": "ten"}),
        400,
        'Bad Request: parameter "limit" must be of type Integer',
    )
    await refused(
        bot_handle,
        await api("sendMessage", {"chat_id": USER_ID, "text": "x", "protect_content": "yes"}),
        400,
        'Bad Request: parameter "protect_content" must be of type Boolean',
    )
    await refused(
        bot_handle,
        await api("sendLocation", {"chat_id": USER_ID, "latitude": "north", "longitude": 1.5}),
        400,
        'Bad Request: parameter "latitude" must be a JSON-serialized Float'
        if False
        else 'Bad Request: parameter "latitude" must be of type Float',
    )
    await refused(
        bot_handle,
        await api("sendMessage", {"chat_id": [USER_ID], "text": "x"}),
        400,
        'Bad Request: parameter "chat_id" must be of type Integer or String',
    )
    await refused(
        bot_handle,
        await api("getUpdates", {"allowed_updates": ["message", 5]}),
        400,
        'Bad Request: can\'t parse allowed_updates: field "[1]" must be of type String',
    )


async def test_wrong_types_in_form_bodies(
    api: ApiCall, bot_handle: BotHandle, user: SimulatedUser
) -> None:
    await refused(
        bot_handle,
        await api("getUpdates", {"offset": "1.5"}, form=True),
        400,
        'Bad Request: parameter "offset" must be of type Integer',
    )
    await refused(
        bot_handle,
        await api(
            "sendMessage", {"chat_id": USER_ID, "text": "x", "reply_markup": "{oops"}, form=True
        ),
        400,
        'Bad Request: parameter "reply_markup" must be a JSON-serialized '
        "InlineKeyboardMarkup or ReplyKeyboardMarkup or ReplyKeyboardRemove or ForceReply",
    )
    # The same call, well formed, passes: strings are converted by the declared type.
    ok = await api(
        "sendMessage",
        {
            "chat_id": str(USER_ID),
            "text": "x",
            "disable_notification": "true",
            "reply_markup": json.dumps(keyboard([{"text": "A", "callback_data": "a"}])),
        },
        form=True,
    )
    assert ok.json()["ok"] is True, ok.json()


async def test_nested_objects_are_validated_recursively(
    api: ApiCall, bot_handle: BotHandle, user: SimulatedUser
) -> None:
    await refused(
        bot_handle,
        await api(
            "sendMessage",
            {
                "chat_id": USER_ID,
                "text": "x",
                "reply_markup": keyboard([{"text": "A", "callback_data": "a", "colour": 1}]),
            },
        ),
        400,
        'Bad Request: can\'t parse reply_markup: field "inline_keyboard[0][0].colour" '
        "is not a field of InlineKeyboardButton",
    )
    await refused(
        bot_handle,
        await api(
            "sendMessage",
            {
                "chat_id": USER_ID,
                "text": "hello",
                "entities": [{"type": "bold", "offset": "0", "length": 5}],
            },
        ),
        400,
        'Bad Request: can\'t parse entities: field "[0].offset" must be of type Integer',
    )
    await refused(
        bot_handle,
        await api(
            "setMyCommands",
            {"commands": [{"command": "start"}]},
        ),
        400,
        'Bad Request: can\'t parse commands: field "[0].description" is required',
    )
    await refused(
        bot_handle,
        await api(
            "setMyCommands",
            {
                "commands": [{"command": "start", "description": "Start"}],
                "scope": {"type": "chat"},
            },
        ),
        400,
        'Bad Request: can\'t parse scope: field "chat_id" is required',
    )


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("", "Bad Request: message text is empty"),
        ("   \n\t ", "Bad Request: message text is empty"),
        ("<b> </b>", "Bad Request: message text is empty"),
        ("x" * 4097, "Bad Request: message is too long"),
        ("😀" * 2049, "Bad Request: message is too long"),  # 4098 UTF-16 code units
    ],
)
async def test_text_length_limits(
    api: ApiCall, bot_handle: BotHandle, user: SimulatedUser, text: str, description: str
) -> None:
    response = await api("sendMessage", {"chat_id": USER_ID, "text": text, "parse_mode": "HTML"})
    await refused(bot_handle, response, 400, description)


async def test_text_at_the_limits_is_accepted(api: ApiCall, user: SimulatedUser) -> None:
    for text in ("x" * 4096, "😀" * 2048, "  " + "y" * 4096 + " \n"):
        response = await api("sendMessage", {"chat_id": USER_ID, "text": text})
        assert response.json()["ok"] is True, len(text)


async def test_caption_over_1024_is_refused(
    api: ApiCall, bot_handle: BotHandle, user: SimulatedUser
) -> None:
    sent = await user.send_photo(wait=False)
    photo_id = sent.calls == [] and user.messages[-1].file["file_id"]
    response = await api(
        "sendPhoto", {"chat_id": USER_ID, "photo": photo_id, "caption": "c" * 1025}
    )
    await refused(bot_handle, response, 400, "Bad Request: message caption is too long")
    ok = await api("sendPhoto", {"chat_id": USER_ID, "photo": photo_id, "caption": "c" * 1024})
    assert ok.json()["ok"] is True


@pytest.mark.parametrize(
    ("data", "accepted"),
    [
        ("a" * 64, True),
        ("a" * 65, False),
        ("я" * 32, True),  # 64 bytes in UTF-8
        ("я" * 33, False),  # only 33 characters, but 66 bytes
        ("", False),
    ],
)
async def test_callback_data_is_limited_to_64_bytes(
    api: ApiCall, bot_handle: BotHandle, user: SimulatedUser, data: str, accepted: bool
) -> None:
    response = await api(
        "sendMessage",
        {
            "chat_id": USER_ID,
            "text": "pick",
            "reply_markup": keyboard([{"text": "A", "callback_data": data}]),
        },
    )
    if accepted:
        assert response.json()["ok"] is True
        assert await bot_handle.invalid_calls() == []
    else:
        await refused(bot_handle, response, 400, "Bad Request: BUTTON_DATA_INVALID")


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        (
            {"inline_keyboard": [{"text": "A", "callback_data": "a"}]},
            'Bad Request: can\'t parse reply_markup: field "inline_keyboard[0]" '
            "must be an Array of InlineKeyboardButton",
        ),
        (
            {"inline_keyboard": {"text": "A"}},
            'Bad Request: can\'t parse reply_markup: field "inline_keyboard" '
            "must be an Array of Array of InlineKeyboardButton",
        ),
        (
            keyboard([{"text": "A"}]),
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            keyboard([{"text": "A", "callback_data": "a", "url": "https://example.org"}]),
            "Bad Request: can't parse inline keyboard button: "
            "exactly one action field is allowed, got callback_data, url",
        ),
        (
            keyboard([{"callback_data": "a"}]),
            'Bad Request: can\'t parse reply_markup: field "inline_keyboard[0][0].text" '
            "is required",
        ),
        (
            {"keyboard": [["plain strings are not KeyboardButtons"]]},
            'Bad Request: can\'t parse reply_markup: field "keyboard[0][0]" '
            "must be an Object of type KeyboardButton",
        ),
        (
            {"buttons": []},
            'Bad Request: parameter "reply_markup" must be of type InlineKeyboardMarkup '
            "or ReplyKeyboardMarkup or ReplyKeyboardRemove or ForceReply",
        ),
    ],
)
async def test_bad_reply_markup_shapes(
    api: ApiCall,
    bot_handle: BotHandle,
    user: SimulatedUser,
    markup: dict[str, Any],
    description: str,
) -> None:
    response = await api("sendMessage", {"chat_id": USER_ID, "text": "x", "reply_markup": markup})
    await refused(bot_handle, response, 400, description)


async def test_malformed_html_is_refused(
    api: ApiCall, bot_handle: BotHandle, user: SimulatedUser
) -> None:
    await refused(
        bot_handle,
        await api("sendMessage", {"chat_id": USER_ID, "text": "<b>bold", "parse_mode": "HTML"}),
        400,
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    )
    await refused(
        bot_handle,
        await api(
            "sendMessage", {"chat_id": USER_ID, "text": "<div>x</div>", "parse_mode": "HTML"}
        ),
        400,
        'Bad Request: can\'t parse entities: Unsupported start tag "div" at byte offset 0',
    )
    await refused(
        bot_handle,
        await api("sendMessage", {"chat_id": USER_ID, "text": "Done.", "parse_mode": "MarkdownV2"}),
        400,
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'",
    )


async def test_unsupported_but_valid_method_is_refused_and_recorded(
    api: ApiCall, bot_handle: BotHandle, user: SimulatedUser
) -> None:
    response = await api("sendDice", {"chat_id": USER_ID})
    await refused(bot_handle, response, 400, "Bad Request: method not supported by the emulator")


async def test_multipart_with_file_and_json_fields(
    http: httpx.AsyncClient, token: str, bot_handle: BotHandle, user: SimulatedUser
) -> None:
    """aiogram's shape for uploads: every field a string part, the file as a named part."""
    response = await http.post(
        f"/bot{token}/sendDocument",
        data={
            "chat_id": str(USER_ID),
            "document": "attach://upload1",
            "caption": "<i>scan</i>",
            "parse_mode": "HTML",
            "reply_markup": json.dumps(keyboard([{"text": "OK", "callback_data": "ok"}])),
        },
        files={"upload1": ("scan.pdf", b"%PDF-1.4 test", "application/pdf")},
    )
    body = response.json()
    assert body["ok"] is True, body
    assert body["result"]["document"]["file_name"] == "scan.pdf"
    assert body["result"]["caption"] == "scan"
    assert body["result"]["caption_entities"] == [{"type": "italic", "offset": 0, "length": 4}]
    stray = await http.post(
        f"/bot{token}/sendDocument",
        data={"chat_id": str(USER_ID), "document": "attach://a"},
        files={"a": ("a.txt", b"a", "text/plain"), "b": ("b.txt", b"b", "text/plain")},
    )
    await refused(bot_handle, stray, 400, 'Bad Request: unknown parameter "b"')
    assert await bot_handle.invalid_calls() and len(await bot_handle.invalid_calls()) == 1
