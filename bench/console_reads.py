"""Console pages that only read, on SQLite, beside a writer in another process (as the
bot is beside the API): what a page's database scope costs that writer.

    python -m bench.console_reads --cases 10000 --seconds 20

Seeds a throwaway SQLite database, serves the app in its own process (as ``holos api``
does) and signs operators in to the console. Then, for ``--seconds`` each: the console
readers alone (``GET /console/cases/{ref}``, one case each), a writer of this process
alone (one short write transaction after another on its own connection, as the bot's
updates are), and both at once. Prints requests (or writes) per second and p50 / p99
milliseconds. A diagnostic to read next to ``make bench`` (storage/transactions.py
quotes it), not part of it.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.processes import child
from bench.seed import seed
from storage.access import Actor
from storage.core import build_core
from storage.migrate import migrate_url
from storage.models import Case
from storage.services.staff import StaffService
from storage.settings import Settings

PASSWORD = "bench-password-long-enough"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _ms(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


async def _loop(
    call: Callable[[], Awaitable[httpx.Response]], until: float, times: list[float]
) -> None:
    while time.perf_counter() < until:
        started = time.perf_counter()
        response = await call()
        if response.status_code >= 400:
            raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
        times.append(time.perf_counter() - started)


def _write_loop(path: Path, case_id: int, until: float, times: list[float]) -> None:
    """Short write transactions on a connection of this process, each timed from BEGIN
    IMMEDIATE (waiting, as the bot does, up to 30 s for the lock) to COMMIT."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("UPDATE cases SET updated_at = updated_at WHERE id = ?", (case_id,))
            connection.execute("COMMIT")
            times.append(time.perf_counter() - started)
            time.sleep(0.002)  # a bot update's work between its writes
    finally:
        connection.close()


async def _console(base: str) -> httpx.AsyncClient:
    browser = httpx.AsyncClient(base_url=base, timeout=60, trust_env=False)
    form = await browser.get("/console/sign-in")
    found = _CSRF.search(form.text)
    assert found, "no CSRF token on the sign-in page"
    signed = await browser.post(
        "/console/sign-in",
        data={"username": "bench_operator", "password": PASSWORD, "csrf": found.group(1)},
    )
    assert signed.status_code == 303, signed.text
    return browser


async def run(cases: int, seconds: float, readers: int) -> None:
    with tempfile.TemporaryDirectory(prefix="holos-console-reads-") as folder:
        data = Path(folder)
        url = f"sqlite+aiosqlite:///{data / 'holos.db'}"
        secret = secrets.token_hex(32)
        settings = Settings(_env_file=None, data_dir=data, database_url=url, secret_key=secret)
        await migrate_url(url)
        core = build_core(settings)
        try:
            await seed(core.database.engine, core.crypto, cases=cases, ratings=0)
            async with core.database.transaction() as session:
                await StaffService(session, core).create_user(
                    Actor.system(), username="bench_operator", password=PASSWORD, role="operator"
                )
                rows = (
                    await session.execute(
                        select(Case.id, Case.ref)
                        .where(Case.sensitive.is_(False))
                        .order_by(Case.id)
                        .limit(readers + 1)
                    )
                ).all()
        finally:
            await core.close()
        args = ["-m", "bench.api_server", url, secret, str(data)]
        with child(args, data / "api.log") as proc:
            assert proc.stdout is not None
            base = proc.stdout.readline().split()[1]
            refs = [ref for _id, ref in rows[1:]]
            await _measure(base, data / "holos.db", rows[0][0], refs, seconds)


async def _measure(base: str, path: Path, case_id: int, refs: list[str], seconds: float) -> None:
    browsers = [await _console(base) for _ in refs]

    def page(i: int) -> Callable[[], Awaitable[httpx.Response]]:
        return lambda: browsers[i].get(f"/console/cases/{refs[i]}")

    # Warm up: the first requests load templates and compile statements.
    for i in range(len(refs)):
        await page(i)()
    print(f"{len(refs)} console readers, one writer in another process, {seconds:g} s each")
    print("run | what | per s | p50 ms | p99 ms")
    for name, with_readers, with_writer in (
        ("readers alone", True, False),
        ("writer alone", False, True),
        ("both", True, True),
    ):
        read_times: list[float] = []
        write_times: list[float] = []
        until = time.perf_counter() + seconds
        loops: list[Awaitable[None]] = []
        if with_readers:
            loops += [_loop(page(i), until, read_times) for i in range(len(refs))]
        if with_writer:
            loops.append(asyncio.to_thread(_write_loop, path, case_id, until, write_times))
        await asyncio.gather(*loops)
        for label, times in (("console page", read_times), ("write", write_times)):
            if times:
                rate = len(times) / seconds
                print(
                    f"{name} | {label} | {rate:.0f} | {_ms(times, 50):.1f} | {_ms(times, 99):.1f}"
                )
    for client in browsers:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.console_reads")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--readers", type=int, default=4)
    options = parser.parse_args()
    asyncio.run(run(options.cases, options.seconds, options.readers))


if __name__ == "__main__":
    main()
