"""One media worker process: ``python -m storage.media.worker MEMORY_MB``.

Started by :class:`storage.media.workers.MediaWorkers` with a bare environment (no
server secret, numeric libraries told to use one thread), it imports the decoders, caps
its own address space, forbids itself core dumps and file writes, says it is ready, and
then cleans one file at a time: a request on standard input, the answer on the original
standard output (anything a library prints goes to standard error instead). Before each
file it allows itself a further ``cpu_seconds`` of CPU; a decoder that runs past it gets
SIGXCPU and the process ends, as it does when it runs out of memory in a library that
cannot report it. The parent then answers that file with ``too_complex`` and starts a
new worker: nothing of one hostile file reaches another.
"""

from __future__ import annotations

import os
import resource
import sys
from contextlib import suppress
from typing import BinaryIO

from PIL import Image

# Every decoder is imported now, before the limits, so that the address-space cap counts
# from what they map and no file waits for an import.
import storage.media.documents
import storage.media.office
import storage.media.voice  # noqa: F401
from storage.media import MediaRefused, Refusal, clean
from storage.media.frames import read_frame, write_frame


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def limit_self(memory_mb: int) -> None:
    """Address space: what the imports mapped plus ``memory_mb``; no core dumps (they
    would hold a decrypted file), no file written. (Processes are not limited: Linux
    counts threads against ``RLIMIT_NPROC`` per user, so it would fail a library's
    thread under a non-root user, which tests run as root would never show.)"""
    address_space = _status_kib("VmSize") * 1024 + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def allow_cpu(seconds: int) -> None:
    """The soft CPU limit moves to what is used so far plus ``seconds`` (the hard one
    stays, so the soft one can move again for the next file)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (used + seconds, hard))


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    while True:
        request = read_frame(requests)
        if request is None:
            return  # the parent closed the pipe: time to go
        header, data = request
        allow_cpu(int(header["cpu_seconds"]))
        try:
            result = clean(data, header.get("declared"))
        except MediaRefused as refused:
            write_frame(answers, {"ok": False, "reason": refused.reason.value}, b"")
            continue
        except MemoryError:
            # Memory may be left fragmented or a library half-way: a fresh worker is cheaper.
            write_frame(answers, {"ok": False, "exiting": True}, b"")
            return
        except Exception as error:
            # The type only: a message may quote the file.
            print(f"media_worker_error type={type(error).__name__}", file=sys.stderr)
            write_frame(answers, {"ok": False, "reason": Refusal.UNREADABLE.value}, b"")
            continue
        text = (result.text or "").encode("utf-8")
        header = {
            "ok": True,
            "mime_type": result.mime_type,
            "metadata_stripped": result.metadata_stripped,
            "voice_disguised": result.voice_disguised,
            "text_bytes": len(text) if result.text is not None else None,
        }
        write_frame(answers, header, result.data + text)


def main() -> None:
    memory_mb = int(sys.argv[1])
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the answers
    Image.init()  # every image plugin imported now, not under the limits
    limit_self(memory_mb)
    write_frame(answers, {"ready": True}, b"")
    with suppress(BrokenPipeError):  # the parent is gone
        serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
