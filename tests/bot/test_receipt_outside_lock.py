"""The receipt code's Argon2 hash is computed before the submission's write transaction
opens (issue 9, cause 5): while it runs, another connection can take SQLite's write lock
and the update holds no transaction."""

from __future__ import annotations

import sqlite3

import pytest

from storage.core import Core
from storage.uow import UnitOfWork
from tests.handlers.conversation import Talk, stored_cases
from tests.harness import BotFactory


async def test_the_receipt_hash_is_drawn_outside_the_write_lock(
    start_bot: BotFactory, make_user, bot_core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = await start_bot()
    # The delivery worker takes the write lock for a moment every round: stop it, so
    # any lock the probe finds is the conversation's.
    await runtime.worker.flush()
    runtime.worker.stop()
    path = bot_core.settings.database_url.split("///", 1)[1]
    crypto = bot_core.crypto
    hash_receipt = crypto.receipt_hash
    held: list[str] = []
    hashed: list[str] = []

    def probed(code: str) -> str:
        # Runs in the worker thread: ask for the write lock without waiting.
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError:
            held.append("write lock held while hashing")
        finally:
            probe.close()
        hashed.append(code)
        return hash_receipt(code)

    async def drawn_outside_a_transaction(crypto_: object) -> object:
        uow = UnitOfWork.current()
        if uow is not None and uow.in_transaction:
            held.append("transaction open while hashing")
        return await draw(crypto_)

    from storage.services.intake import IntakeService

    draw = IntakeService.draw_receipt
    submit = IntakeService.submit
    given: list[bool] = []

    async def submitted(self: IntakeService, report: object, **kwargs: object) -> object:
        # The handler hands submit a receipt it drew: submit never draws one itself,
        # after whatever it queried first.
        given.append(kwargs.get("receipt") is not None)
        return await submit(self, report, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(crypto, "receipt_hash", probed)
    monkeypatch.setattr(IntakeService, "draw_receipt", staticmethod(drawn_outside_a_transaction))
    monkeypatch.setattr(IntakeService, "submit", submitted)
    talk = Talk(await make_user("uk"), "uk")
    code = await talk.file_report()
    assert given == [True]
    assert hashed, "the receipt was not hashed through the probe"
    assert held == []
    (case,) = await stored_cases(bot_core)
    assert case.receipt_hash == hash_receipt(hashed[-1])
    assert code
