"""A new person's pseudonyms (Argon2id, ≈10 ms each at production cost) are drawn in a
worker thread, never on the event loop that serves every other chat meanwhile."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import storage.crypto
from tests.handlers.conversation import Talk
from tests.harness import BotFactory


async def test_no_argon2_runs_on_the_event_loop_during_a_whole_report(
    start_bot: BotFactory, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_bot()
    loop_thread = threading.get_ident()
    threads: list[int] = []
    original = storage.crypto.hash_secret_raw

    def watched(*args: Any, **kwargs: Any) -> bytes:
        threads.append(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(storage.crypto, "hash_secret_raw", watched)
    talk = Talk(await make_user("en"), "en")  # new: none of its pseudonyms is cached
    await talk.file_report()
    assert threads  # the person's pseudonyms and the receipt's hash
    assert loop_thread not in threads
