"""Voice disguise: the stored voice is not the speaker's, the words and their timing stay."""

from __future__ import annotations

import io

import numpy as np
import parselmouth
import pytest
import soundfile

from storage.media import MediaRefused, Refusal, clean, voice
from storage.media.voice import Disguise, disguise_voice
from tests.storage.media.samples import encoded, id3_tag, voiced


def median_f0(samples: np.ndarray, rate: int) -> float:
    pitch = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=rate).to_pitch()
    f0 = pitch.selected_array["frequency"]
    return float(np.median(f0[f0 > 0]))


def envelope(samples: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """RMS energy in 40 ms frames over ``seconds``."""
    frame = int(0.04 * rate)
    count = int(seconds / 0.04)
    padded = np.zeros(frame * count)
    padded[: min(len(samples), len(padded))] = samples[: len(padded)]
    return np.sqrt((padded.reshape(count, frame) ** 2).mean(axis=1))


def decoded(data: bytes) -> tuple[np.ndarray, int]:
    samples, rate = soundfile.read(io.BytesIO(data), dtype="float64")
    return samples, rate


@pytest.mark.parametrize("f0", [110.0, 180.0, 260.0])
def test_the_stored_voice_is_shifted_but_keeps_duration_and_rhythm(f0: float) -> None:
    original = voiced(f0)
    result = clean(encoded(original), "audio/ogg")
    assert result.mime_type == "audio/ogg" and result.voice_disguised
    stored, rate = decoded(result.data)
    heard, heard_rate = decoded(encoded(original))  # what the person sent, as decoded

    shift = 12 * abs(np.log2(median_f0(stored, rate) / median_f0(heard, heard_rate)))
    assert shift >= 3.0
    assert abs(len(stored) / rate - len(heard) / heard_rate) <= 0.05 * len(heard) / heard_rate
    correlation = np.corrcoef(envelope(stored, rate, 1.9), envelope(heard, heard_rate, 1.9))[0, 1]
    assert correlation >= 0.8


def test_formants_move_too_not_only_the_pitch() -> None:
    """A pitch shift alone is undone by shifting back; the vocal tract must change as well."""
    original = voiced(150.0)
    same_pitch = Disguise(pitch_semitones=0.0, formant_semitones=3.0, pitch_range_factor=1.0)
    stored, rate = decoded(disguise_voice(encoded(original), same_pitch))

    def centroid(samples: np.ndarray, sr: int) -> float:
        spectrum = np.abs(np.fft.rfft(samples))
        freqs = np.fft.rfftfreq(len(samples), 1 / sr)
        band = freqs < 4000
        return float((spectrum[band] * freqs[band]).sum() / spectrum[band].sum())

    heard, heard_rate = decoded(encoded(original))
    assert centroid(stored, rate) / centroid(heard, heard_rate) >= 2 ** (2 / 12)
    assert abs(12 * np.log2(median_f0(stored, rate) / median_f0(heard, heard_rate))) < 1


def test_two_messages_of_one_person_get_different_voices() -> None:
    data = encoded(voiced(180.0))
    pitches = {round(median_f0(*decoded(clean(data, "audio/ogg").data))) for _ in range(4)}
    assert len(pitches) > 1


def test_audio_tags_do_not_survive() -> None:
    tag = id3_tag(TPE1="Olha Kovalenko", TXXX="GPS 50.45 30.52")
    mp3 = tag + encoded(voiced(140.0, seconds=1.0), fmt="MP3", subtype="MPEG_LAYER_III")
    result = clean(mp3, "audio/mpeg")
    assert result.mime_type == "audio/ogg"
    assert b"Olha" not in result.data and b"GPS" not in result.data


@pytest.mark.parametrize(
    "data",
    [
        b"OggS\x00\x02" + bytes(20) + b"OpusHead\x01\x01" + bytes(40),  # header, no audio
        b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" + bytes(64),
        b"RIFF\x10\x00\x00\x00WAVEfmt " + bytes(8),
    ],
)
def test_corrupt_audio_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(MediaRefused) as caught:
        clean(data, None)
    assert caught.value.reason is Refusal.AUDIO_UNREADABLE


def test_aac_in_mp4_cannot_be_disguised_and_is_refused() -> None:
    m4a = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + bytes(64)
    with pytest.raises(MediaRefused) as caught:
        clean(m4a, "audio/x-m4a")
    assert caught.value.reason is Refusal.AUDIO_UNREADABLE


def test_a_long_recording_is_disguised_a_minute_at_a_time_with_one_voice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past a minute the disguise works in pieces (Praat's memory grows with the length):
    every piece gets the same new voice, and the whole keeps its length and rhythm. (The
    pieces are 5 s here instead of 60, to keep the test short.)"""
    monkeypatch.setattr(voice, "CHUNK_SECONDS", 5)
    rate = 16_000
    original = voiced(130.0, seconds=13.0, rate=rate)  # three pieces
    shifted = Disguise(pitch_semitones=5.0, formant_semitones=3.0, pitch_range_factor=1.0)
    stored, stored_rate = decoded(disguise_voice(encoded(original, rate=rate), shifted))
    heard, _ = decoded(encoded(original, rate=rate))
    assert abs(len(stored) / stored_rate - 13.0) <= 0.05 * 13.0
    for start in (1, 4, 9):  # inside each piece, and across the joins
        piece = slice(start * stored_rate, (start + 3) * stored_rate)
        shift = 12 * np.log2(median_f0(stored[piece], stored_rate) / median_f0(heard[piece], rate))
        assert 4.0 <= shift <= 6.0, (start, shift)
    correlation = np.corrcoef(envelope(stored, stored_rate, 12.9), envelope(heard, rate, 12.9))[
        0, 1
    ]
    assert correlation >= 0.8
