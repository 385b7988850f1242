"""Settings every suite builds on, and the one place where tests make hashing cheap.

Argon2id stays Argon2id, at the smallest cost: no suite here is about the cost of hashing
(`make bench` measures the production cost), and the real cost (≈15 ms a receipt code,
≈0.1 s a password) would dominate the run. Plain module, not a conftest, so tests import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from storage.settings import Settings

TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"

CHEAP_RECEIPT_HASHING: dict[str, int] = {"receipt_hash_time_cost": 1, "receipt_hash_memory_kib": 64}
CHEAP_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        **CHEAP_RECEIPT_HASHING,
    }
    values.update(overrides)
    # _env_file=None: a developer's .env must not change what the tests see.
    return Settings(_env_file=None, **values)
