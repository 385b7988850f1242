from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from storage.core import Core
from storage.enums import AttachmentKind
from storage.errors import AttachmentTooLarge, UnsupportedAttachment
from storage.sealed import Context
from storage.services.attachments import AttachmentService, StagedAttachment
from tests.storage.media.attacks import HTA
from tests.storage.media.samples import jpeg_with_gps
from tgemu import samples


async def test_images_lose_exif_and_gps_and_are_encrypted(core: Core) -> None:
    original = jpeg_with_gps()
    assert b"Olha Kovalenko" in original and b"PhoneMaker" in original
    service = AttachmentService(core)
    staged = await service.stage(kind=AttachmentKind.PHOTO, mime_type=None, data=original)
    assert staged.metadata_stripped and staged.mime_type == "image/jpeg"
    sealed = await core.blobs.get(staged.blob_key)
    assert b"Olha Kovalenko" not in sealed and b"JFIF" not in sealed
    clean = core.crypto.decrypt(sealed, Context.BLOB)
    for marker in (b"Olha Kovalenko", b"PhoneMaker", b"Model X", b"taken at home", b"Exif"):
        assert marker not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert not image.getexif()
        assert image.size == (48, 64)  # the orientation was applied before EXIF went


async def test_a_file_whose_bytes_contradict_its_label_is_refused(core: Core) -> None:
    with pytest.raises(UnsupportedAttachment) as caught:
        await AttachmentService(core).stage(
            kind=AttachmentKind.DOCUMENT,
            mime_type="application/pdf",
            data=jpeg_with_gps(),
            filename="scan.pdf",
        )
    assert caught.value.reason == "type_mismatch"
    assert list(core.blobs.root.glob("*/*/*")) == []


@pytest.mark.parametrize(
    ("mime", "data"),
    [
        ("application/x-msdownload", b"MZ\x90\x00 not welcome"),
        ("video/mp4", b"\x00\x00\x00\x18ftypmp42"),
        ("image/jpeg", b"this is not an image at all"),
        ("image/heic", b"\x00\x00\x00\x18ftypheic"),
    ],
)
async def test_unsupported_or_broken_files_are_refused(core: Core, mime: str, data: bytes) -> None:
    with pytest.raises(UnsupportedAttachment) as caught:
        await AttachmentService(core).stage(kind=AttachmentKind.DOCUMENT, mime_type=mime, data=data)
    assert caught.value.code == "unsupported_attachment"
    assert list(core.blobs.root.glob("*/*/*")) == []


async def test_a_file_over_the_limit_is_refused_before_anything_is_written(core: Core) -> None:
    core.settings.attachment_max_bytes = 2048
    service = AttachmentService(core)
    with pytest.raises(AttachmentTooLarge) as caught:
        service.check_size(4096)  # the size Telegram declares, before any download
    assert caught.value.limit == 2048
    with pytest.raises(AttachmentTooLarge):
        await service.stage(
            kind=AttachmentKind.DOCUMENT, mime_type="application/pdf", data=b"%PDF" + b"x" * 4096
        )
    assert list(core.blobs.root.glob("*/*/*")) == []


async def test_voice_messages_are_stored_disguised_and_encrypted(core: Core) -> None:
    voice = samples.ogg_voice()
    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.VOICE, mime_type=None, data=voice
    )
    assert staged.mime_type == "audio/ogg" and staged.metadata_stripped
    sealed = await core.blobs.get(staged.blob_key)
    stored = core.crypto.decrypt(sealed, Context.BLOB)
    assert stored.startswith(b"OggS") and stored != voice  # never the original


async def test_corrupt_voice_is_refused_with_a_reason_and_nothing_is_written(core: Core) -> None:
    with pytest.raises(UnsupportedAttachment) as caught:
        await AttachmentService(core).stage(
            kind=AttachmentKind.VOICE, mime_type=None, data=b"OggS\x00\x02" + b"\x01" * 300
        )
    assert caught.value.reason == "audio_unreadable"
    assert list(core.blobs.root.glob("*/*/*")) == []


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (HTA, "invoice.hta"),  # the review's: VBScript in an HTML application
        (HTA, "invoice.txt"),  # its bytes alone are enough
        (b"just words", "invoice.hta"),  # and so is its name
        (b"just words", "photo.JPG.exe. "),
    ],
)
async def test_programs_labelled_text_are_refused_and_nothing_is_written(
    core: Core, data: bytes, filename: str
) -> None:
    with pytest.raises(UnsupportedAttachment) as caught:
        await AttachmentService(core).stage(
            kind=AttachmentKind.DOCUMENT, mime_type="text/plain", data=data, filename=filename
        )
    assert caught.value.reason == "executable"
    assert list(core.blobs.root.glob("*/*/*")) == []


async def test_the_reporters_file_name_is_not_kept(core: Core) -> None:
    staged = await AttachmentService(core).stage(
        kind=AttachmentKind.DOCUMENT,
        mime_type="application/pdf",
        data=samples.pdf("distribution list"),
        filename="skarha_Petrenko_Olha.pdf",
    )
    assert "Petrenko" not in json.dumps(staged.to_dict())
    # The document's words travel with it, to be sealed and indexed with the case.
    assert staged.text == "distribution list"
    # A draft from before this version still holds a file name: it is dropped on reading.
    old = {**staged.to_dict(), "filename": "skarha_Petrenko_Olha.pdf"}
    old.pop("text")
    assert StagedAttachment.from_dict(old) == StagedAttachment(**{**staged.to_dict(), "text": None})
