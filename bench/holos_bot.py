"""The Holos bot in its own process, as `holos run` starts it, on a fresh SQLite file
(`python -m bench.holos_bot URL TOKEN DATA_DIR`). Stops on SIGTERM, gracefully."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

import uvloop
from pydantic import SecretStr

from bot.requests import ResilientRequests
from bot.runtime import BotRuntime
from storage.core import build_core
from storage.migrate import migrate_url
from storage.settings import Settings


async def main(url: str, token: str, data_dir: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{data_dir / 'holos.db'}"
    await migrate_url(database_url)
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=database_url,
        secret_key=SecretStr(secrets.token_urlsafe(48)),
        telegram_api_url=url,
    )
    core = build_core(settings)
    # HOLOS_BENCH_NO_PACING=1: without the pacer that keeps to Telegram's limits (30
    # calls/s overall, 1/s per chat), to measure the bot's own cost beside the echo bot's.
    if os.environ.get("HOLOS_BENCH_NO_PACING") == "1":
        requests = ResilientRequests(pacer=None)
        runtime = BotRuntime.create(core, token=token, api_url=url, requests=requests)
    else:
        runtime = BotRuntime.create(core, token=token, api_url=url)
    await runtime.start_polling()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await runtime.stop()
    await core.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    uvloop.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
