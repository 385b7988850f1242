"""Starting the emulator in the test's own loop, and keeping its logs free of message text."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.tgemu.helpers import make_token
from tgemu import EmulatorClient, run_emulator


async def test_run_emulator_in_process(caplog: pytest.LogCaptureFixture) -> None:
    token = make_token()
    secret_words = "my neighbour was asked for a bribe"
    caplog.set_level(logging.INFO)
    async with run_emulator() as running, EmulatorClient(running.base_url) as client:
        assert running.base_url.startswith("http://127.0.0.1:") and running.port > 0
        user = await client.bot(token).create_user(id=11)
        await user.send_text(secret_words, wait=False)
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            got = (await http.get(f"/bot{token}/getUpdates")).json()
            assert got["result"][0]["message"]["text"] == secret_words
            await http.post(f"/bot{token}/sendMessage", json={"chat_id": 11, "text": secret_words})
            await http.post(f"/bot{token}/noSuchMethod", json={})
        # The in-process state is there for assertions.
        world = running.emulator.worlds[token]
        assert [c.method for c in world.calls] == ["getUpdates", "sendMessage", "noSuchMethod"]
        assert [c["description"] for c in running.emulator.invalid_calls] == ["Not Found"]
    # Neither message text nor the token's secret part reaches the server's logs at INFO or
    # above (httpx, the test's own client library, logs its request URLs: not the server's).
    logged = "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.INFO and r.name.startswith(("tgemu", "uvicorn"))
    )
    assert secret_words not in logged
    assert token.split(":")[1] not in logged
