"""A network round trip on every Bot API call (for benchmarks), set at start or at run time."""

from __future__ import annotations

import httpx
import pytest

from tests.tgemu.helpers import make_token
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
