"""A network round trip on every Bot API call (for benchmarks), set at start or at run time."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.tgemu.helpers import eventually, make_token
from tgemu import Emulator, EmulatorClient, run_emulator
from tgemu.client import EmulatorControlError


async def get_me(base_url: str, token: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, trust_env=False) as http:
        response = await http.post(f"/bot{token}/getMe")
    assert response.json()["ok"] is True


async def delays(client: EmulatorClient, token: str) -> list[float]:
    """How long each recorded call was on the wire, by the emulator's own clock."""
    return [c["finished"] - c["time"] for c in await client.bot(token).calls()]


async def test_latency_from_the_constructor_and_the_control_api() -> None:
    token = make_token()
    async with (
        run_emulator(emulator=Emulator(latency_ms=150)) as running,
        EmulatorClient(running.base_url) as client,
    ):
        assert await client.latency() == 150
        await get_me(running.base_url, token)
        [first] = await delays(client, token)
        assert first >= 0.14  # sleeping never ends early; the clock's resolution aside

        await client.set_latency(0)
        assert await client.latency() == 0
        await client.set_latency(400)
        await get_me(running.base_url, token)
        assert (await delays(client, token))[1] >= 0.39


@pytest.mark.parametrize("bad", [-1, 10_001, "50", None, True])
async def test_a_bad_latency_is_refused_and_the_setting_kept(bad: object) -> None:
    async with (
        run_emulator(emulator=Emulator(latency_ms=20)) as running,
        EmulatorClient(running.base_url) as client,
    ):
        with pytest.raises(EmulatorControlError) as refused:
            await client.set_latency(bad)  # type: ignore[arg-type]  # a bad value on purpose
        assert refused.value.status == 400
        assert "latency_ms" in refused.value.detail
        assert await client.latency() == 20


def test_the_constructor_refuses_a_negative_latency() -> None:
    with pytest.raises(ValueError, match="latency_ms"):
        Emulator(latency_ms=-5)


async def test_a_chat_view_claims_only_the_calls_it_shows_and_wait_for_sees_a_late_landing() -> (
    None
):
    """A message on the wire is not in the chat yet, so the chat's view must not say it has
    seen that call: ``wait_for`` waits for changes after the view's ``seq``, and a view that
    covered an in-flight call made it sleep through the landing to its full timeout (the
    bot bench's 10 s stall at a deleted-and-resent button)."""
    token = make_token()
    async with (
        run_emulator(emulator=Emulator(latency_ms=300)) as running,
        EmulatorClient(running.base_url) as client,
        httpx.AsyncClient(base_url=running.base_url, trust_env=False) as http,
    ):
        handle = client.bot(token)
        user = await handle.create_user(id=7311)
        await user.send_text("/start", wait=False)  # a bot may write only to who wrote first
        send = asyncio.create_task(
            http.post(f"/bot{token}/sendMessage", json={"chat_id": user.id, "text": "hi"})
        )
        sends = await eventually(
            handle.calls, lambda calls: any(c["method"] == "sendMessage" for c in calls)
        )
        [call] = [c for c in sends if c["method"] == "sendMessage"]
        assert call["finished"] is None  # still on the wire
        view = (await http.get(f"/_emulator/bots/{token}/users/{user.id}/chat")).json()
        assert [m["text"] for m in view["messages"]] == ["/start"]
        assert view["seq"] < call["seq"]

        started = time.monotonic()
        found = await user.wait_for(lambda m: m.body == "hi", timeout=20)
        waited = time.monotonic() - started
        assert (await send).json()["ok"] is True
    assert found.body == "hi"
    assert waited < 5  # it landed within 0.3 s; a missed landing waits the whole 20 s
