"""What files are accepted, and how each reaches staff unable to harm or name anyone.

:func:`clean` is the one door: it reads the real type from the bytes, refuses programs
and web pages whatever their label, refuses a file whose label contradicts its bytes,
and returns a new file made from what the original shows: images re-encoded from their
pixels, voices disguised, PDFs flattened to pictures of their pages, office documents
rebuilt from their text, tables and pictures (no author, device, place or time reaches staff; issue 18 §2). What cannot be made
so raises :class:`MediaRefused` with a :class:`Refusal` code for the bot to explain.

:func:`clean` decodes hostile input. The bot never calls it in its own process: it runs
in the capped worker processes of :mod:`storage.media.workers` (issue 18 §3). So this
package imports no decoder until :func:`clean` runs: the bot, which only hands files to
the workers, never loads PDFium, Praat or the image codecs.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.media.types import (
    AUDIO_TYPES,
    DOCUMENT_TYPES,
    EXECUTABLE_TYPES,
    FLAC,
    IMAGE_TYPES,
    MP4_AUDIO,
    MPEG,
    OGG,
    OLE,
    PDF,
    STORED_AUDIO_TYPE,
    TEXT,
    WAV,
    MediaRefused,
    Refusal,
    accepted,
    matches,
    normalise_label,
    real_type,
)

__all__ = [
    "AUDIO_TYPES",
    "DOCUMENT_TYPES",
    "IMAGE_TYPES",
    "CleanFile",
    "MediaRefused",
    "Refusal",
    "accepted",
    "clean",
    "real_type",
]

_AUDIO = frozenset({OGG, MPEG, WAV, FLAC, MP4_AUDIO})


@dataclass(frozen=True)
class CleanFile:
    data: bytes
    mime_type: str
    metadata_stripped: bool
    voice_disguised: bool = False
    # What the file says in words (documents only), to be sealed and searched with the case.
    text: str | None = None


def clean(data: bytes, declared: str | None) -> CleanFile:
    """The storable copy of ``data``. CPU- and memory-bound on hostile input: run it in a
    worker (:class:`storage.media.workers.MediaWorkers`), never in a serving process."""
    # The decoders load here, in the worker, never in the bot (see the module's doc).
    from storage.media.archives import Archive
    from storage.media.documents import clean_text, flatten_pdf
    from storage.media.images import strip_image_metadata
    from storage.media.office import OFFICE_TYPES, rebuild_office
    from storage.media.voice import disguise_voice

    label = normalise_label(declared)
    real = real_type(data)
    if real in EXECUTABLE_TYPES:
        raise MediaRefused(Refusal.EXECUTABLE)
    if data.startswith(b"PK\x03\x04"):
        # The table of contents is checked before the type is trusted: an archive that
        # unfolds too far is refused as such, whatever it claims to be.
        with Archive(data):
            pass
    if real is None:
        raise MediaRefused(Refusal.UNREADABLE if accepted(label) else Refusal.UNSUPPORTED_TYPE)
    if not matches(label, real):
        raise MediaRefused(Refusal.TYPE_MISMATCH)
    if real in IMAGE_TYPES:
        return CleanFile(strip_image_metadata(data, real), real, metadata_stripped=True)
    if real in _AUDIO:
        return CleanFile(
            disguise_voice(data), STORED_AUDIO_TYPE, metadata_stripped=True, voice_disguised=True
        )
    if real == PDF:
        flat, text = flatten_pdf(data)
        return CleanFile(flat, PDF, metadata_stripped=True, text=text or None)
    if real in OFFICE_TYPES:
        rebuilt, mime_type, text = rebuild_office(data, real)
        return CleanFile(rebuilt, mime_type, metadata_stripped=True, text=text or None)
    if real == TEXT:
        kept, text = clean_text(data)
        return CleanFile(kept, TEXT, metadata_stripped=False, text=text)
    if real == OLE:
        raise MediaRefused(Refusal.LEGACY_OFFICE)
    raise MediaRefused(Refusal.UNSUPPORTED_TYPE)
