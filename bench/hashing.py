"""The receipt-code hash at its production cost (Argon2id tuned to 10–20 ms)."""

from __future__ import annotations

import statistics
import time

from storage.crypto import Crypto, generate_receipt_code
from storage.settings import Settings

TARGET_MS = (10.0, 20.0)


def receipt_hash_ms(rounds: int = 60) -> float:
    """Median milliseconds per hash with the default settings."""
    defaults = Settings(_env_file=None)
    crypto = Crypto(
        [b"b" * 48],
        receipt_time_cost=defaults.receipt_hash_time_cost,
        receipt_memory_kib=defaults.receipt_hash_memory_kib,
    )
    timings = []
    for _ in range(rounds):
        code = generate_receipt_code()
        started = time.perf_counter()
        crypto.receipt_hash(code)
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 1)
