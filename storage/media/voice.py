"""Voice disguise: a voice message is stored only in a form its speaker cannot be known by.

A voice identifies its speaker to anyone who knows them, which for a report about a local
aid worker can be fatal. Every accepted audio file is decoded in memory, its pitch moved
by 4 to 6 semitones and its formants (the resonances of the speaker's throat and mouth)
by 2 to 3.5 semitones with Praat's PSOLA "Change gender" (through parselmouth), its
intonation range rescaled, and re-encoded as Ogg/Opus. The amounts and the direction are
drawn at random for every message, so two messages of one person do not share a
"voice" and no fixed inverse transform exists. Words, timing and loudness stay.

The original is never written anywhere: decoding reads from the bytes in memory, and the
caller encrypts only the result. Re-encoding also drops every tag (ID3, MP4, Vorbis
comments: artist, device, location, time).
"""

from __future__ import annotations

import io
import math
import secrets
from dataclasses import dataclass

import numpy as np
import parselmouth
import soundfile
from parselmouth.praat import call

from storage.media.limits import MAX_SECONDS
from storage.media.types import MediaRefused, Refusal

# MAX_SECONDS bounds memory too: 10 min at 48 kHz mono, float32, is about 115 MB.
# What a phone records; the header is checked before anything is decoded, so a file of
# 8 channels at 655 kHz (2.2 GB decoded from 343 KB) is refused at no cost.
MAX_RATE = 48_000
MAX_CHANNELS = 2
# Decoded a second at a time and mixed down to mono as it goes.
_BLOCK_SECONDS = 1
# Disguised a minute at a time, each piece overlapping the next by a second.
CHUNK_SECONDS = 60
OVERLAP_SECONDS = 1
# Speech needs no more than wideband; processing at 16 kHz is three times cheaper.
WORK_RATE = 16_000
PITCH_FLOOR, PITCH_CEILING = 75.0, 600.0
_random = secrets.SystemRandom()


@dataclass(frozen=True)
class Disguise:
    """One draw of the transformation's amounts (random per message in production)."""

    pitch_semitones: float
    formant_semitones: float
    pitch_range_factor: float

    @classmethod
    def draw(cls, median_hz: float | None) -> Disguise:
        # Keep the new voice within a natural range: low voices go up, high ones down.
        if median_hz is not None and median_hz < 120:
            direction = 1
        elif median_hz is not None and median_hz > 250:
            direction = -1
        else:
            direction = _random.choice((-1, 1))
        return cls(
            pitch_semitones=direction * _random.uniform(4.0, 6.0),
            formant_semitones=direction * _random.uniform(2.0, 3.5),
            pitch_range_factor=_random.uniform(0.8, 1.2),
        )


def decode(data: bytes) -> tuple[np.ndarray, int]:
    """Mono float samples and their rate; refuses what cannot be read, is too long, or
    has more channels or a higher rate than a voice needs, from the header alone. The
    decoded size is bounded before decoding: at most ``MAX_SECONDS * MAX_RATE`` samples,
    a block at a time (a frame count the header gets wrong stops at that bound too)."""
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as audio:
            rate, channels = audio.samplerate, audio.channels
            if rate > MAX_RATE or channels > MAX_CHANNELS or rate < 1 or channels < 1:
                raise MediaRefused(Refusal.AUDIO_FORMAT)
            limit = MAX_SECONDS * rate
            if audio.frames > limit:
                raise MediaRefused(Refusal.AUDIO_TOO_LONG)
            mono = np.empty(min(max(audio.frames, 0), limit), dtype=np.float32)
            filled = 0
            for block in audio.blocks(
                blocksize=_BLOCK_SECONDS * rate, dtype="float32", always_2d=True
            ):
                if filled + len(block) > limit:
                    raise MediaRefused(Refusal.AUDIO_TOO_LONG)
                if filled + len(block) > mono.size:
                    mono = np.resize(mono, filled + len(block))
                mono[filled : filled + len(block)] = block.mean(axis=1)
                filled += len(block)
    except MediaRefused:
        raise
    except (soundfile.SoundFileError, RuntimeError, ValueError, TypeError, EOFError):
        raise MediaRefused(Refusal.AUDIO_UNREADABLE) from None
    mono = mono[:filled]
    if mono.size < rate // 10 or not np.isfinite(mono).all():
        raise MediaRefused(Refusal.AUDIO_UNREADABLE)
    return mono, rate


def median_pitch(sound: parselmouth.Sound) -> float | None:
    """Median fundamental frequency in Hz of the voiced parts, None when nothing is voiced."""
    pitch = sound.to_pitch(pitch_floor=PITCH_FLOOR, pitch_ceiling=PITCH_CEILING)
    value = call(pitch, "Get quantile", 0, 0, 0.5, "Hertz")
    return None if math.isnan(value) else float(value)


def transform(samples: np.ndarray, rate: int, disguise: Disguise | None = None) -> np.ndarray:
    """The disguised samples at :data:`WORK_RATE`.

    A long recording is transformed a minute at a time, with one draw of the disguise for
    all of it (the target pitch from the first minute's median), and the pieces joined
    with a short crossfade: Praat holds several copies of what it works on, which for
    ten minutes at 48 kHz came to 1.5 GB; a minute at a time stays near 150 MB."""
    chunk, overlap = CHUNK_SECONDS * rate, OVERLAP_SECONDS * rate
    first = _resampled(samples[: chunk + overlap], rate)
    median = median_pitch(first)
    disguise = disguise or Disguise.draw(median)
    new_median = 0.0 if median is None else median * 2 ** (disguise.pitch_semitones / 12)
    total = math.ceil(len(samples) * WORK_RATE / rate)
    out = np.zeros(total, dtype=np.float64)
    fade = OVERLAP_SECONDS * WORK_RATE
    for start in range(0, len(samples), chunk):
        sound = first if start == 0 else _resampled(samples[start : start + chunk + overlap], rate)
        piece = _change_gender(sound, disguise, new_median)
        at = start * WORK_RATE // rate
        piece = piece[: total - at]
        if start and len(piece) > fade:
            ramp = np.linspace(0.0, 1.0, fade)
            out[at : at + fade] = out[at : at + fade] * (1 - ramp) + piece[:fade] * ramp
            out[at + fade : at + len(piece)] = piece[fade:]
        else:
            out[at : at + len(piece)] = piece
    peak = float(np.abs(out).max(initial=0.0))
    return out / peak * 0.9 if peak > 1.0 else out


def _resampled(samples: np.ndarray, rate: int) -> parselmouth.Sound:
    sound = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=rate)
    return call(sound, "Resample", WORK_RATE, 50) if rate != WORK_RATE else sound


def _change_gender(sound: parselmouth.Sound, disguise: Disguise, new_median: float) -> np.ndarray:
    changed = call(
        sound,
        "Change gender",
        PITCH_FLOOR,
        PITCH_CEILING,
        2 ** (disguise.formant_semitones / 12),
        new_median,
        disguise.pitch_range_factor,
        1.0,
    )
    return np.asarray(changed.values[0], dtype=np.float64)


def encode_opus(samples: np.ndarray, rate: int = WORK_RATE) -> bytes:
    out = io.BytesIO()
    soundfile.write(out, samples, rate, format="OGG", subtype="OPUS")
    return out.getvalue()


def disguise_voice(data: bytes, disguise: Disguise | None = None) -> bytes:
    """Decode, disguise and re-encode ``data`` as Ogg/Opus; raises :class:`MediaRefused`."""
    samples, rate = decode(data)
    try:
        changed = transform(samples, rate, disguise)
    except parselmouth.PraatError:
        raise MediaRefused(Refusal.AUDIO_UNREADABLE) from None
    return encode_opus(changed)
