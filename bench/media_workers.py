"""What the media workers cost (issue 18 §3): start-up, memory per worker, and the time
and peak memory of typical files.

    python -m bench.media_workers            # two workers, the default limits

Memory is read from /proc: RSS (what ``ps`` shows), PSS (shared library pages divided
among the processes sharing them: what the workers really add) and the private part.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
import zipfile

import numpy as np
import soundfile
from PIL import Image

from storage.media.workers import MediaWorkers, WorkerLimits


def _kib(pid: int, path: str, field: str) -> int:
    with open(f"/proc/{pid}/{path}", encoding="ascii") as table:
        for line in table:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def memory_mb(pid: int) -> dict[str, float]:
    private = _kib(pid, "smaps_rollup", "Private_Clean") + _kib(
        pid, "smaps_rollup", "Private_Dirty"
    )
    return {
        "rss": _kib(pid, "status", "VmRSS") / 1024,
        "pss": _kib(pid, "smaps_rollup", "Pss") / 1024,
        "private": private / 1024,
        "peak": _kib(pid, "status", "VmHWM") / 1024,
    }


def photo() -> bytes:
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 255, (3000, 4000, 3), dtype=np.uint8)  # a 12 MP phone photo
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=85)
    return out.getvalue()


def pdf(pages: int) -> bytes:
    out = io.BytesIO()
    first = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    first.save(out, "PDF", save_all=True, append_images=[first.copy() for _ in range(pages - 1)])
    return out.getvalue()


def docx() -> bytes:
    body = "".join(f"<w:p><w:r><w:t>Line {n} of the report.</w:t></w:r></w:p>" for n in range(500))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>",
        )
    return out.getvalue()


def voice(seconds: int) -> bytes:
    rate = 48_000
    t = np.arange(seconds * rate) / rate
    signal = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 12))
    signal *= np.clip(np.sin(2 * np.pi * 2 * t), 0, None) + 0.05
    out = io.BytesIO()
    soundfile.write(out, 0.3 * signal / np.abs(signal).max(), rate, format="OGG", subtype="OPUS")
    return out.getvalue()


def main() -> int:
    limits = WorkerLimits()
    started = time.perf_counter()
    workers = MediaWorkers(2, limits)
    workers.wait_ready()
    ready = time.perf_counter() - started
    print(f"2 workers ready in {ready:.2f} s (memory cap {limits.memory_mb} MB over imports,")
    print(f"CPU cap {limits.cpu_seconds} s a file)")
    for pid in workers.pids:
        print(f"  worker {pid}: " + ", ".join(f"{k} {v:.0f} MB" for k, v in memory_mb(pid).items()))
    samples = {
        "12 MP JPEG photo": (photo(), "image/jpeg"),
        "10-page PDF": (pdf(10), "application/pdf"),
        "DOCX, 500 paragraphs": (docx(), None),
        "1-minute voice": (voice(60), "audio/ogg"),
        "10-minute voice": (voice(600), "audio/ogg"),
    }
    single = MediaWorkers(1, limits)
    single.wait_ready()
    (pid,) = single.pids
    for name, (data, declared) in samples.items():
        timings = []
        for _ in range(3 if "10-minute" not in name else 1):
            began = time.perf_counter()
            single.clean(data, declared)
            timings.append(time.perf_counter() - began)
        peak = memory_mb(pid)["peak"]
        print(
            f"  {name:<22} {len(data) / 1e6:6.2f} MB in: {statistics.median(timings):6.2f} s,"
            f" worker peak {peak:.0f} MB so far"
        )
    single.close()
    workers.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
