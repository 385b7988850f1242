"""getUpdates: offsets confirm, limit, long polling, allowed_updates, and its conflicts."""

from __future__ import annotations

import asyncio
import time

from tests.tgemu.helpers import ApiCall, eventually
from tgemu import BotHandle


async def updates(api: ApiCall, **params: object) -> list[dict]:
    body = (await api("getUpdates", params)).json()
    assert body["ok"] is True, body
    return body["result"]


async def test_offset_confirms_earlier_updates(api: ApiCall, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=7001)
    for text in ("one", "two", "three"):
        await user.send_text(text, wait=False)
    first = await updates(api)
    assert [u["message"]["text"] for u in first] == ["one", "two", "three"]
    # Unconfirmed updates are returned again.
    assert await updates(api) == first
    # An offset above an update_id confirms it: it is never returned again.
    rest = await updates(api, offset=first[1]["update_id"])
    assert [u["message"]["text"] for u in rest] == ["two", "three"]
    assert [u["message"]["text"] for u in await updates(api)] == ["two", "three"]
    assert await updates(api, offset=first[2]["update_id"] + 1) == []
    await user.send_text("four", wait=False)
    fresh = await updates(api)
    assert [u["message"]["text"] for u in fresh] == ["four"]
    assert fresh[0]["update_id"] > first[2]["update_id"]


async def test_limit(api: ApiCall, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=7002)
    for index in range(5):
        await user.send_text(f"m{index}", wait=False)
    assert [u["message"]["text"] for u in await updates(api, limit=2)] == ["m0", "m1"]
    assert len(await updates(api, limit=100)) == 5


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    api: ApiCall, bot_handle: BotHandle
) -> None:
    user = await bot_handle.create_user(id=7003)
    started = time.monotonic()
    poll = asyncio.create_task(updates(api, timeout=20))
    await eventually(lambda: bot_handle.calls("getUpdates"), bool)
    assert not poll.done()
    await user.send_text("wake up", wait=False)
    result = await asyncio.wait_for(poll, 5)
    assert [u["message"]["text"] for u in result] == ["wake up"]
    assert time.monotonic() - started < 5


async def test_long_poll_times_out_empty(api: ApiCall) -> None:
    started = time.monotonic()
    assert await updates(api, timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 5


async def test_allowed_updates_filters_and_persists(api: ApiCall, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=7004)
    await user.send_text("before", wait=False)
    await updates(api, allowed_updates=["callback_query"], offset=-1)
    # Already confirmed what was there; from now on only callback queries are queued.
    await updates(api, offset=(await updates(api))[-1]["update_id"] + 1)
    await api(
        "sendMessage",
        {
            "chat_id": 7004,
            "text": "menu",
            "reply_markup": {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
        },
    )
    await user.send_text("ignored", wait=False)
    await user.press("Go", wait=False)
    got = await updates(api)  # no allowed_updates: the previous setting persists
    assert [next(k for k in u if k != "update_id") for u in got] == ["callback_query"]
    state = await bot_handle.state()
    assert [u["message"]["text"] for u in state["filtered_updates"]] == ["ignored"]


async def test_get_updates_conflicts_with_a_webhook(api: ApiCall, bot_handle: BotHandle) -> None:
    set_response = await api("setWebhook", {"url": "http://127.0.0.1:9/hook"})
    assert set_response.json() == {"ok": True, "result": True, "description": "Webhook was set"}
    response = await api("getUpdates", {})
    assert response.status_code == 409
    assert response.json()["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    # A conflict is not the bot sending garbage: it is not an invalid call.
    assert await bot_handle.invalid_calls() == []
    assert (await api("deleteWebhook", {})).json()["ok"] is True
    assert (await api("getUpdates", {})).json() == {"ok": True, "result": []}


async def test_a_second_poller_terminates_the_first(api: ApiCall, bot_handle: BotHandle) -> None:
    first = asyncio.create_task(api("getUpdates", {"timeout": 20}))
    await eventually(lambda: bot_handle.calls("getUpdates"), bool)
    second = asyncio.create_task(api("getUpdates", {"timeout": 1}))
    terminated = await asyncio.wait_for(first, 5)
    assert terminated.status_code == 409
    assert terminated.json()["description"] == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )
    assert (await second).json() == {"ok": True, "result": []}


async def test_tokens_are_isolated_worlds(api: ApiCall, client, bot_handle: BotHandle) -> None:
    other = client.bot("42:" + "B" * 40)
    await other.reset()
    user = await other.create_user(id=7005)
    await user.send_text("for the other bot", wait=False)
    assert await updates(api) == []
    assert len((await other.state())["pending_updates"]) == 1
    await other.reset()
    assert (await other.state())["pending_updates"] == []
