"""The application-wide objects every service needs, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from storage.blobs import FileBlobStore
from storage.catalog import Catalog
from storage.clock import Clock
from storage.crypto import Crypto
from storage.db import Database
from storage.settings import Settings, resolve_secret_keys


@dataclass
class Core:
    settings: Settings
    catalog: Catalog
    crypto: Crypto
    blobs: FileBlobStore
    database: Database
    clock: Clock = field(default_factory=Clock)
    # The bot's @username as Telegram gave it at start, where the bot runs in this
    # process (HOLOS_BOT_USERNAME says it for a console running apart).
    bot_username: str | None = None

    @property
    def telegram_username(self) -> str | None:
        return self.settings.bot_username or self.bot_username

    async def close(self) -> None:
        await self.database.dispose()


def build_core(settings: Settings, *, clock: Clock | None = None) -> Core:
    keys = resolve_secret_keys(settings)
    blob_dir = settings.blob_dir or Path(settings.data_dir) / "blobs"
    clock = clock or Clock()
    return Core(
        settings=settings,
        catalog=settings.catalog(),
        crypto=Crypto(
            keys,
            receipt_time_cost=settings.receipt_hash_time_cost,
            receipt_memory_kib=settings.receipt_hash_memory_kib,
        ),
        blobs=FileBlobStore(blob_dir, clock),
        database=Database(settings.database_url, zone=settings.timezone),
        clock=clock,
    )
