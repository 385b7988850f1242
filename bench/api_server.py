"""The triage API in its own process (`python -m bench.api_server DATABASE_URL SECRET DATA_DIR`),
served as `holos api` serves it, so its CPU and memory are its own. Prints ``ready URL``
once it listens; stops on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import uvloop

from admin_api.app import create_app
from admin_api.server import bind_socket, running_api
from storage.core import build_core
from storage.settings import Settings


async def main(database_url: str, secret: str, data_dir: Path) -> None:
    settings = Settings(
        _env_file=None, data_dir=data_dir, database_url=database_url, secret_key=secret
    )
    core = build_core(settings)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    sock = bind_socket("127.0.0.1", 0)
    try:
        async with running_api(create_app(core), sock) as url:
            print(f"ready {url}", flush=True)
            await stop.wait()
    finally:
        sock.close()
        await core.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    uvloop.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
