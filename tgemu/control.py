# ruff: noqa: ASYNC109 - timeouts here are forwarded to server-side waits, by design
"""The control API under ``/_emulator/``: simulated users, recorded calls, faults, the clock.

Tests (through ``client.py``) and the sandbox chat page use only this API, so whatever a test
can do, a person on the page can do too, and vice versa.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from tgemu import users
from tgemu.errors import ControlError
from tgemu.faults import FAULT_KINDS, Fault
from tgemu.files import served_as
from tgemu.messages import chat_view, message_view
from tgemu.spec import load_spec
from tgemu.state import MAX_LATENCY_MS, MAX_WAIT, BotWorld, Emulator, mask_token

# Calls that do not count as the bot "answering" (they still reset the quiet period).
_NOT_A_REPLY = {"sendChatAction"}


def _number(data: dict[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ControlError(400, f"{key} must be a non-negative number")
    return float(value)


def calls_after(world: BotWorld, after_seq: int, chat_id: int) -> list[Any]:
    """A chat's calls after ``after_seq``, scanning from the newest: calls are recorded in
    seq order, and a waiter is woken at every call of every chat, so a scan of the whole
    history each time made hundreds of simultaneous users quadratic."""
    found = []
    for call in reversed(world.calls):
        if call.seq <= after_seq:
            break
        if call.chat_id == chat_id:
            found.append(call)
    found.reverse()
    return found


async def wait_for_activity(
    world: BotWorld,
    chat_id: int,
    *,
    after_seq: int,
    timeout: float,
    quiet: float,
    mode: str = "reply",
) -> dict[str, Any]:
    """Wait until the bot acts in a chat after ``after_seq``, then until it has been quiet.

    ``mode="reply"`` waits for a call other than a chat action; ``mode="change"`` returns on any
    call for the chat, with no quiet period. Both wait on change notifications, never by polling.
    """
    loop = asyncio.get_running_loop()
    timeout = min(timeout, MAX_WAIT)
    deadline = loop.time() + timeout

    def window() -> list[Any]:
        return calls_after(world, after_seq, chat_id)

    while True:
        calls = window()
        if mode == "change":
            # Changed means landed: a call still on the wire has not changed the chat yet.
            if calls and all(c.finished is not None for c in calls):
                break
        elif any(c.method not in _NOT_A_REPLY for c in calls):
            break
        remaining = deadline - loop.time()
        if remaining <= 0 or world.emulator.closed:
            return _activity(world, chat_id, after_seq, timed_out=not calls or mode == "reply")
        await world.wait_change(remaining)
    if mode == "reply":
        hard_stop = deadline + max(quiet * 20, 5.0)
        while True:
            last = world.last_activity.get(chat_id, 0.0)
            busy = world.in_flight.get(chat_id, 0) > 0
            remaining = (last + quiet) - loop.time()
            if (remaining <= 0 and not busy) or loop.time() >= hard_stop:
                break
            await world.wait_change(max(remaining, quiet if busy else 0.0))
    return _activity(world, chat_id, after_seq, timed_out=False)


def _activity(world: BotWorld, chat_id: int, after_seq: int, *, timed_out: bool) -> dict[str, Any]:
    chat = world.chats[chat_id]
    calls = calls_after(world, after_seq, chat_id)
    touched: list[int] = []
    for call in calls:
        for message_id in call.affected:
            if message_id not in touched:
                touched.append(message_id)
    messages = []
    deleted = []
    for message_id in touched:
        message = chat.messages.get(message_id)
        if message is None:
            continue
        if message.deleted:
            deleted.append(message_id)
        else:
            messages.append(message_view(message))
    answered = {
        c.params.get("callback_query_id")
        for c in calls
        if c.method == "answerCallbackQuery" and c.ok
    }
    return {
        "timed_out": timed_out,
        "seq": world.landed_seq(chat_id, max([after_seq, *(c.seq for c in calls)])),
        "calls": [c.describe() for c in calls],
        "messages": messages,
        "deleted": deleted,
        "callback_answers": [
            a for a in chat.callback_answers if a["callback_query_id"] in answered
        ],
        "chat": chat_view(chat),
    }


def control_router(emulator: Emulator) -> APIRouter:
    router = APIRouter(prefix="/_emulator", tags=["emulator control"])

    def world(token: str) -> BotWorld:
        return emulator.world(token)

    @router.get("/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "api_version": load_spec().version}

    @router.get("/sandbox-config")
    async def sandbox_config() -> dict[str, Any]:
        if emulator.sandbox_token is None:
            raise ControlError(404, "no sandbox token configured: Emulator(sandbox_token=...)")
        bot = world(emulator.sandbox_token)
        return {"token": emulator.sandbox_token, "bot": bot.me()}

    @router.get("/clock")
    async def clock() -> dict[str, Any]:
        return {"now": emulator.clock.now(), "offset": emulator.clock.offset}

    @router.post("/clock/advance")
    async def advance(data: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        emulator.clock.advance(_number(data, "seconds", 0))
        return {"now": emulator.clock.now(), "offset": emulator.clock.offset}

    @router.get("/latency")
    async def latency() -> dict[str, Any]:
        return {"latency_ms": emulator.latency_ms}

    @router.put("/latency")
    async def set_latency(data: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        value = _number(data, "latency_ms", 0)
        if value > MAX_LATENCY_MS:
            raise ControlError(400, f"latency_ms must be at most {MAX_LATENCY_MS}")
        emulator.set_latency(value)
        return {"latency_ms": emulator.latency_ms}

    @router.get("/invalid-calls")
    async def all_invalid_calls() -> list[dict[str, Any]]:
        return emulator.invalid_calls

    @router.get("/bots/{token}/state")
    async def state(token: str) -> dict[str, Any]:
        bot = world(token)
        return {
            "bot": bot.me(),
            "token": mask_token(token),
            "webhook": bot.webhook.url if bot.webhook else None,
            "pending_updates": list(bot.updates),
            "filtered_updates": list(bot.filtered_updates),
            "allowed_updates": bot.allowed_updates,
            "webhook_deliveries": list(bot.webhook_deliveries),
            "users": [u.describe() for u in bot.users.values()],
            "commands": [
                {"scope": scope, "language_code": lang, "commands": cmds}
                for (scope, lang), cmds in bot.commands.items()
            ],
            "menu_buttons": {str(k): v for k, v in bot.menu_buttons.items()},
            "seq": bot.seq,
        }

    @router.post("/bots/{token}/reset")
    async def reset(token: str) -> dict[str, Any]:
        world(token)  # refuse malformed tokens the same way as elsewhere
        await emulator.reset_world(token)
        return {"ok": True}

    @router.get("/bots/{token}/calls")
    async def calls(
        token: str, method: str | None = None, after_seq: int = Query(0)
    ) -> list[dict[str, Any]]:
        bot = world(token)
        return [
            c.describe()
            for c in bot.calls
            if c.seq > after_seq and (method is None or c.method.lower() == method.lower())
        ]

    @router.get("/bots/{token}/invalid-calls")
    async def invalid_calls(token: str) -> list[dict[str, Any]]:
        return list(world(token).invalid_calls)

    @router.get("/bots/{token}/faults")
    async def faults(token: str) -> list[dict[str, Any]]:
        return [f.describe() for f in world(token).faults.pending()]

    @router.post("/bots/{token}/faults")
    async def add_fault(token: str, data: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        kind = data.get("kind")
        if kind not in FAULT_KINDS:
            raise ControlError(400, f"kind must be one of {list(FAULT_KINDS)}")
        times = data.get("times", 1)
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ControlError(400, "times must be a positive integer or null")
        method = str(data.get("method") or "*")
        spec = load_spec().method(method)
        if method != "*" and spec is None:
            raise ControlError(400, f"unknown Bot API method {method!r}")
        fault = Fault(
            kind=kind,
            method=spec.name if spec else "*",
            remaining=times,
            retry_after=int(data.get("retry_after", 1)),
            seconds=_number(data, "seconds", 0),
        )
        world(token).faults.add(fault)
        return fault.describe()

    @router.delete("/bots/{token}/faults")
    async def clear_faults(token: str) -> dict[str, Any]:
        world(token).faults.clear()
        return {"ok": True}

    @router.get("/bots/{token}/files/{file_id}")
    async def file_bytes(token: str, file_id: str) -> Response:
        stored = world(token).files.get(file_id)
        if stored is None or stored.data is None:
            raise ControlError(404, "no such file (or only its size was declared)")
        media_type, headers = served_as(stored)
        return Response(stored.data, media_type=media_type, headers=headers)

    @router.get("/bots/{token}/users")
    async def list_users(token: str) -> list[dict[str, Any]]:
        return [u.describe() for u in world(token).users.values()]

    @router.post("/bots/{token}/users")
    async def create_user(token: str, data: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        bot = world(token)
        user = users.create_user(bot, data)
        return {**user.describe(), "seq": bot.seq}

    @router.get("/bots/{token}/users/{user_id}/chat")
    async def chat(token: str, user_id: int) -> dict[str, Any]:
        bot = world(token)
        return {**chat_view(bot.chat_for_user(user_id)), "seq": bot.landed_seq(user_id, bot.seq)}

    @router.post("/bots/{token}/users/{user_id}/messages")
    async def send(token: str, user_id: int, data: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
        return users.user_send(world(token), user_id, data)

    @router.post("/bots/{token}/users/{user_id}/edit")
    async def edit(token: str, user_id: int, data: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
        message_id = data.get("message_id")
        if not isinstance(message_id, int):
            raise ControlError(400, "message_id must be an integer")
        return users.user_edit(world(token), user_id, message_id, str(data.get("text") or ""))

    @router.post("/bots/{token}/users/{user_id}/press")
    async def press(token: str, user_id: int, data: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
        return users.user_press(
            world(token),
            user_id,
            label=data.get("text"),
            data=data.get("callback_data"),
            message_id=data.get("message_id"),
        )

    @router.post("/bots/{token}/users/{user_id}/callback")
    async def callback(token: str, user_id: int, data: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
        message_id = data.get("message_id")
        if not isinstance(message_id, int) or not isinstance(data.get("data"), str):
            raise ControlError(400, "give message_id (integer) and data (string)")
        return users.user_callback(
            world(token),
            user_id,
            data["data"],
            message_id,
            inaccessible=bool(data.get("inaccessible", False)),
        )

    @router.post("/bots/{token}/users/{user_id}/block")
    async def block(token: str, user_id: int) -> Any:
        return users.set_blocked(world(token), user_id, True)

    @router.post("/bots/{token}/users/{user_id}/unblock")
    async def unblock(token: str, user_id: int) -> Any:
        return users.set_blocked(world(token), user_id, False)

    @router.post("/bots/{token}/chats/{chat_id}/wait")
    async def wait(token: str, chat_id: int, data: dict[str, Any] = Body(...)) -> Any:  # noqa: B008
        bot = world(token)
        bot.chat_for_user(chat_id)
        mode = data.get("mode", "reply")
        if mode not in {"reply", "change"}:
            raise ControlError(400, "mode must be 'reply' or 'change'")
        return await wait_for_activity(
            bot,
            chat_id,
            after_seq=int(data.get("after_seq", 0)),
            timeout=_number(data, "timeout", 10.0),
            quiet=_number(data, "quiet", 0.15),
            mode=mode,
        )

    return router
