"""Decoding happens in pre-started worker processes whose memory and CPU are capped.

A file from a reporter is hostile input to a stack of C decoders (libjpeg, libpng,
libwebp, libsndfile, PDFium, expat). Whatever it does to them (unfold into gigabytes,
spin for minutes, crash), it must only fail itself: never take the bot down, never
delay or lose another person's message (issue 18 §3). So the bot hands every file to one
of a few worker processes (:mod:`storage.media.worker`), each

- started ahead of time with a bare environment: no server secret, no database address,
  numeric libraries limited to one thread;
- limited in address space (``RLIMIT_AS``: what its imports mapped plus
  ``media_worker_memory_mb``), CPU per file (``RLIMIT_CPU``: ``media_worker_cpu_seconds``
  more before each file, then SIGXCPU), core dumps and file writes (none);
- given one file at a time, and a wall-clock deadline on top of the CPU limit.

A worker that dies or misses its deadline is killed and replaced at once, and only the
file it was working on is answered ``too_complex``. At most ``media_workers`` files are
decoded at once; more wait for a free worker.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from storage.media import CleanFile
from storage.media.frames import (
    PREFIX_BYTES,
    FrameError,
    decode_header,
    encode_frame,
    lengths,
)
from storage.media.types import MediaRefused, Refusal

log = logging.getLogger("holos.media")

# One thread each, so a worker's CPU limit is the CPU it can take from the machine.
SINGLE_THREADED = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2",
}
# Imports take about a second; on a loaded machine much longer.
START_SECONDS = 120.0
_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class WorkerLimits:
    memory_mb: int = 1024
    cpu_seconds: int = 120
    # The CPU limit bounds the work; the deadline only catches a worker that hangs
    # without using CPU. Generous by default (4 x CPU + 30 s), as other processes may
    # hold the cores meanwhile.
    deadline_seconds: float | None = None

    @property
    def wall_seconds(self) -> float:
        if self.deadline_seconds is not None:
            return self.deadline_seconds
        return 4.0 * self.cpu_seconds + 30.0


class _Lost(Exception):
    """The worker died, hung or answered nonsense; ``reason`` is for the log.
    ``before_work``: it was gone before it took the file (the file may go elsewhere)."""

    def __init__(self, reason: str, *, before_work: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.before_work = before_work


def worker_environment() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(_ROOT) + (os.pathsep + path if path else ""),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **SINGLE_THREADED,
    }


class _Worker:
    def __init__(self, limits: WorkerLimits) -> None:
        self.limits = limits
        self.ready = False
        self.process: subprocess.Popen[bytes] = subprocess.Popen(  # noqa: S603 (our own module)
            [sys.executable, "-m", "storage.media.worker", str(limits.memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=worker_environment(),
            cwd="/",
            close_fds=True,
            # Not in the bot's process group: a Ctrl+C there is the bot's to handle; a
            # worker ends when its pipe closes.
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def _stdout(self) -> IO[bytes]:
        assert self.process.stdout is not None
        return self.process.stdout

    def _read(self, size: int, deadline: float) -> bytes:
        fd = self._stdout().fileno()
        chunks, remaining = [], size
        while remaining:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                raise _Lost("deadline")
            readable, _, _ = select.select([fd], [], [], timeout)
            if not readable:
                continue
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                raise _Lost("exited")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _frame(self, deadline: float) -> tuple[dict[str, Any], bytes]:
        try:
            header_length, body_length = lengths(self._read(PREFIX_BYTES, deadline))
            header = decode_header(self._read(header_length, deadline))
        except FrameError:
            raise _Lost("malformed answer") from None
        return header, self._read(body_length, deadline)

    def wait_ready(self) -> None:
        if not self.ready:
            header, _ = self._frame(time.monotonic() + START_SECONDS)
            if not header.get("ready"):
                raise _Lost("malformed answer")
            self.ready = True

    def clean(self, data: bytes, declared: str | None) -> CleanFile:
        try:
            self.wait_ready()
        except _Lost as lost:
            raise _Lost(lost.reason, before_work=True) from None
        if self.process.poll() is not None:
            raise _Lost("exited while idle", before_work=True)
        request = {"declared": declared, "cpu_seconds": self.limits.cpu_seconds}
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(encode_frame(request, data))
            stdin.write(data)
            stdin.flush()
        except (BrokenPipeError, OSError):
            raise _Lost("exited") from None
        header, body = self._frame(time.monotonic() + self.limits.wall_seconds)
        if header.get("exiting"):
            # It ran out of memory in Python, said so, and ends: a fresh one replaces it.
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            raise _Lost("memory")
        if not header.get("ok"):
            try:
                reason = Refusal(str(header.get("reason")))
            except ValueError:
                raise _Lost("malformed answer") from None
            raise MediaRefused(reason)
        text_bytes = header.get("text_bytes")
        split = len(body) - text_bytes if isinstance(text_bytes, int) else len(body)
        if not 0 <= split <= len(body) or not isinstance(header.get("mime_type"), str):
            raise _Lost("malformed answer")
        return CleanFile(
            data=body[:split],
            mime_type=header["mime_type"],
            metadata_stripped=bool(header.get("metadata_stripped")),
            voice_disguised=bool(header.get("voice_disguised")),
            text=body[split:].decode("utf-8") if isinstance(text_bytes, int) else None,
        )

    def stop(self, *, wait: float = 2.0) -> None:
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout=wait)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def exit_reason(self) -> str:
        code = self.process.poll()
        if code is None:
            return "alive"
        if code == -24:  # SIGXCPU
            return "cpu"
        if code < 0:
            return f"signal {-code}"
        return f"exit {code}"


class MediaWorkers:
    """A fixed number of capped worker processes; :meth:`clean` is thread-safe."""

    def __init__(self, count: int = 2, limits: WorkerLimits | None = None) -> None:
        self.count = max(1, count)
        self.limits = limits or WorkerLimits()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self.replaced = 0

    def start(self) -> None:
        """Start the workers now (the bot does this at start-up), not on the first file."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            for _ in range(self.count):
                self._spawn()

    def _spawn(self) -> None:
        worker = _Worker(self.limits)
        self._all.add(worker)
        self._idle.put(worker)

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._all)

    def wait_ready(self) -> None:
        """Until every worker has imported its decoders (tests and measurements)."""
        self.start()
        with self._borrow_all() as workers:
            for worker in workers:
                worker.wait_ready()

    @contextmanager
    def _borrow_all(self) -> Iterator[list[_Worker]]:
        taken = [self._idle.get() for _ in range(self.count)]
        try:
            yield taken
        finally:
            for worker in taken:
                self._idle.put(worker)

    def clean(self, data: bytes, declared: str | None) -> CleanFile:
        """:func:`storage.media.clean` in a worker; blocks until one is free."""
        self.start()
        for _ in range(self.count + 1):
            worker = self._idle.get()
            try:
                result = worker.clean(data, declared)
            except _Lost as lost:
                self._replace(worker, lost.reason)
                if lost.before_work:
                    continue  # it died before this file reached it: not this file's doing
                raise MediaRefused(Refusal.TOO_COMPLEX) from None
            except MediaRefused:
                self._idle.put(worker)
                raise
            self._idle.put(worker)
            return result
        # Every worker failed to start: nothing about this file, but it cannot be read now.
        raise MediaRefused(Refusal.UNREADABLE)

    def _replace(self, worker: _Worker, reason: str) -> None:
        worker.kill()
        if worker.process.stdout is not None:
            worker.process.stdout.close()
        if worker.process.stdin is not None:
            worker.process.stdin.close()
        log.warning("media_worker_replaced reason=%s exit=%s", reason, worker.exit_reason())
        with self._lock:
            self._all.discard(worker)
            self.replaced += 1
            if not self._closed:
                self._spawn()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


_shared: MediaWorkers | None = None
_shared_lock = threading.Lock()


def shared_workers(count: int = 2, limits: WorkerLimits | None = None) -> MediaWorkers:
    """The process's workers, made on first use with these settings (later calls get
    the same ones, or new ones once those were closed); stopped when the process exits."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.closed:
            if _shared is None:
                atexit.register(_close_shared)
            _shared = MediaWorkers(count, limits)
        return _shared


def _close_shared() -> None:
    if _shared is not None:
        _shared.close()
