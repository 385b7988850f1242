"""Child processes of a benchmark: the emulator and the bots, each with its own CPU and memory."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def child(
    args: list[str], log: Path, *, ready: str | None = None
) -> Iterator[subprocess.Popen[str]]:
    """Start ``python args`` from the repository root; stop it with SIGTERM at the end."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )
        try:
            if ready is not None:
                assert proc.stdout is not None
                line = proc.stdout.readline()
                if line.strip() != ready:
                    raise RuntimeError(f"{args[1]} did not start: see {log}")
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def emulator(log: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``python -m tgemu`` on a free port, with ``options`` (``--latency-ms``, …)."""
    port = free_port()
    with child(["-m", "tgemu", "127.0.0.1", str(port), *options], log) as proc:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/_emulator/health", trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the emulator did not start: see {log}")
            time.sleep(0.1)
        yield url, proc
