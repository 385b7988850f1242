"""Issue 18 §3: the work a file can cause is bounded before any of it is decoded.

These run the cleaner in the test's own process and measure what it allocates
(``tracemalloc`` sees Python's and numpy's allocations): a bomb must be turned away
from what its headers say, not after unfolding. That the decoding itself runs in capped
worker processes is tested in ``test_workers.py``.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Callable

import numpy as np
import pytest
import soundfile

from storage.media import MediaRefused, Refusal, clean
from storage.media.types import DOCX, ODT
from tests.storage.media.attacks import flac_bomb, zip_member_bomb

# Far below what any of the bombs below unfolds to (hundreds of megabytes).
SMALL = 32 * 1024 * 1024


def peak_while(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
    except MediaRefused:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def refusal(data: bytes, declared: str | None) -> Refusal:
    with pytest.raises(MediaRefused) as caught:
        clean(data, declared)
    return caught.value.reason


@pytest.fixture(scope="module")
def odt_bomb() -> bytes:
    return zip_member_bomb(ODT, unpacked=300 * 1024 * 1024)


def test_an_archive_member_is_checked_before_it_is_read(odt_bomb: bytes) -> None:
    assert len(odt_bomb) < 1024 * 1024
    assert refusal(odt_bomb, None) is Refusal.TOO_COMPLEX
    assert refusal(odt_bomb, ODT) is Refusal.TOO_COMPLEX
    assert peak_while(lambda: clean(odt_bomb, None)) < SMALL


def test_a_member_that_lies_about_its_size_is_read_no_further() -> None:
    """zipfile stops at the declared size; the check reads at most that much."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (50 * 1024 * 1024))
    data = bytearray(out.getvalue())
    # Declare 1 KB for the document in both headers; its data still inflates to 50 MB.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    local = info.header_offset
    data[local + 22 : local + 26] = (1024).to_bytes(4, "little")
    central = bytes(data).rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = (1024).to_bytes(4, "little")
    assert peak_while(lambda: clean(bytes(data), DOCX)) < SMALL


def test_a_highly_compressed_member_is_refused_by_its_ratio() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b"a" * (20 * 1024 * 1024))
    assert refusal(out.getvalue(), DOCX) is Refusal.TOO_COMPLEX


def test_an_archive_of_too_many_members_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for n in range(5000):
            archive.writestr(f"word/media/{n}.png", b"")
    assert refusal(out.getvalue(), DOCX) is Refusal.TOO_COMPLEX


def test_xml_with_a_document_type_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><w:document>&b;</w:document>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", laughs)
    assert refusal(out.getvalue(), DOCX) is Refusal.UNREADABLE


def test_audio_of_many_channels_at_a_huge_rate_is_refused_from_its_header() -> None:
    bomb = flac_bomb(seconds=4)
    assert len(bomb) < 400 * 1024
    assert refusal(bomb, "audio/flac") is Refusal.AUDIO_FORMAT
    assert peak_while(lambda: clean(bomb, "audio/flac")) < SMALL


@pytest.mark.parametrize(
    ("channels", "rate"), [(3, 44_100), (1, 96_000), (2, 192_000)], ids=["3ch", "96k", "192k"]
)
def test_audio_past_two_channels_or_48_khz_is_refused(channels: int, rate: int) -> None:
    samples = np.zeros((rate // 2, channels), dtype=np.float32)
    out = io.BytesIO()
    soundfile.write(out, samples, rate, format="FLAC")
    assert refusal(out.getvalue(), "audio/flac") is Refusal.AUDIO_FORMAT


def test_stereo_48_khz_audio_is_decoded_without_holding_both_channels() -> None:
    """Mixed down block by block: a stereo file costs what its mono mix does."""
    rate, seconds = 48_000, 30
    t = np.arange(rate * seconds) / rate
    tone = (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32)
    out = io.BytesIO()
    soundfile.write(out, np.stack([tone, tone], axis=1), rate, format="WAV", subtype="PCM_16")
    data = out.getvalue()
    del t, tone
    from storage.media.voice import decode

    mono_bytes = rate * seconds * 4
    peak = peak_while(lambda: decode(data))
    assert peak < mono_bytes * 1.5  # the stereo float32 array alone would be 2x
    samples, decoded_rate = decode(data)
    assert decoded_rate == rate and samples.shape == (rate * seconds,)
