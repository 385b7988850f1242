"""Issue 18 §3: decoding runs where its memory and CPU are capped, so that one hostile
file can only fail itself. Each test starts its own small pool of real worker processes.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from storage.media import MediaRefused, Refusal
from storage.media.workers import MediaWorkers, WorkerLimits
from tests.storage.media.attacks import png_bomb
from tests.storage.media.samples import encoded, jpeg_with_gps, voiced


@pytest.fixture
def make_pool() -> Iterator[type[MediaWorkers]]:
    pools: list[MediaWorkers] = []

    class Pool(MediaWorkers):
        def __init__(self, count: int = 1, limits: WorkerLimits | None = None) -> None:
            super().__init__(count, limits)
            pools.append(self)

    yield Pool
    for pool in pools:
        pool.close()


def limits_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/limits", encoding="ascii") as table:
        rows = table.read().splitlines()[1:]
    return {row[:26].strip(): row[26:47].strip() for row in rows}


def environment_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as raw:
        pairs = [item.split(b"=", 1) for item in raw.read().split(b"\0") if b"=" in item]
    return {key.decode(): value.decode() for key, value in pairs}


def test_a_worker_is_its_own_capped_process_without_secrets(
    make_pool: type[MediaWorkers], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOLOS_SECRET_KEY", "never-in-a-worker-" + "x" * 40)
    pool = make_pool(1, WorkerLimits(memory_mb=256, cpu_seconds=30))
    pool.wait_ready()
    (pid,) = pool.pids
    assert pid != os.getpid()
    assert pool.clean(jpeg_with_gps(), "image/jpeg").mime_type == "image/jpeg"
    limits = limits_of(pid)
    assert limits["Max address space"] != "unlimited"
    assert int(limits["Max address space"]) < 2 * 1024**3
    assert int(limits["Max cpu time"]) <= 30 + 5  # set before each file
    assert limits["Max core file size"] == "0"
    assert limits["Max file size"] == "0"
    environment = environment_of(pid)
    assert not any(key.startswith("HOLOS_") for key in environment)
    assert environment["OMP_NUM_THREADS"] == environment["OPENBLAS_NUM_THREADS"] == "1"
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        assert "Threads:\t1\n" in status.read()


def test_a_file_past_the_memory_cap_fails_alone_and_its_worker_is_replaced(
    make_pool: type[MediaWorkers],
) -> None:
    """The picture decodes to about 100 MB per copy; a worker here may hold 64 MB more
    than its imports. Another file cleaned at the same time is not affected."""
    pool = make_pool(2, WorkerLimits(memory_mb=64, cpu_seconds=60))
    pool.wait_ready()
    before = set(pool.pids)
    bomb, photo = png_bomb(), jpeg_with_gps()
    with ThreadPoolExecutor(2) as threads:
        hostile = threads.submit(pool.clean, bomb, "image/png")
        innocent = threads.submit(pool.clean, photo, "image/jpeg")
        with pytest.raises(MediaRefused) as caught:
            hostile.result()
        assert innocent.result().mime_type == "image/jpeg"
    assert caught.value.reason is Refusal.TOO_COMPLEX
    assert pool.replaced == 1
    after = set(pool.pids)
    assert len(after) == 2 and len(after & before) == 1
    # The replacement works.
    for _ in range(3):
        assert pool.clean(photo, "image/jpeg").mime_type == "image/jpeg"


def test_a_file_past_the_cpu_cap_is_stopped_and_its_worker_replaced(
    make_pool: type[MediaWorkers],
) -> None:
    """Two minutes of voice take several seconds of CPU to disguise; a worker here may
    spend at most one to two seconds on a file before the kernel stops it."""
    pool = make_pool(1, WorkerLimits(memory_mb=1024, cpu_seconds=1))
    pool.wait_ready()
    long_voice = encoded(voiced(140.0, seconds=120.0, rate=16_000), rate=16_000)
    with pytest.raises(MediaRefused) as caught:
        pool.clean(long_voice, "audio/ogg")
    assert caught.value.reason is Refusal.TOO_COMPLEX
    assert pool.replaced == 1
    assert pool.clean(jpeg_with_gps(), "image/jpeg").mime_type == "image/jpeg"


def test_a_worker_that_hangs_is_killed_at_its_deadline(make_pool: type[MediaWorkers]) -> None:
    pool = make_pool(1, WorkerLimits(memory_mb=256, cpu_seconds=30, deadline_seconds=1.0))
    pool.wait_ready()
    (pid,) = pool.pids
    os.kill(pid, signal.SIGSTOP)  # neither working nor answering: only a deadline ends it
    with pytest.raises(MediaRefused) as caught:
        pool.clean(jpeg_with_gps(), "image/jpeg")
    assert caught.value.reason is Refusal.TOO_COMPLEX
    assert pool.pids != [pid]
    assert pool.clean(jpeg_with_gps(), "image/jpeg").mime_type == "image/jpeg"


def test_a_worker_that_died_while_idle_costs_no_file(make_pool: type[MediaWorkers]) -> None:
    pool = make_pool(1, WorkerLimits(memory_mb=256, cpu_seconds=30))
    pool.wait_ready()
    (pid,) = pool.pids
    os.kill(pid, signal.SIGKILL)  # the kernel's OOM killer, say, between two files
    os.waitpid(pid, 0)
    assert pool.clean(jpeg_with_gps(), "image/jpeg").mime_type == "image/jpeg"
    assert pool.replaced == 1


def test_refusals_come_back_as_they_are_and_keep_the_worker(
    make_pool: type[MediaWorkers],
) -> None:
    pool = make_pool(1, WorkerLimits(memory_mb=256, cpu_seconds=30))
    pool.wait_ready()
    with pytest.raises(MediaRefused) as caught:
        pool.clean(b"MZ\x90\x00\x03\x00\x00\x00", "application/pdf")
    assert caught.value.reason is Refusal.EXECUTABLE
    assert pool.replaced == 0
    result = pool.clean("Список: 12 родин\n".encode(), "text/plain")
    assert result.text == "Список: 12 родин\n" and result.mime_type == "text/plain"


def test_closing_ends_the_workers(make_pool: type[MediaWorkers]) -> None:
    pool = make_pool(2, WorkerLimits(memory_mb=256, cpu_seconds=30))
    pool.wait_ready()
    pids = pool.pids
    pool.close()
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # already reaped: the process is gone
