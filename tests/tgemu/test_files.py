"""Files: what users send can be fetched with getFile and downloaded; limits hold."""

from __future__ import annotations

import io

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile
from PIL import Image

from tgemu import BotHandle
from tgemu.samples import SAMPLE_CAMERA

USER_ID = 4001


async def test_user_photo_round_trip(tg_bot: Bot, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=USER_ID)
    await user.send_photo(caption="the broken door", wait=False)
    message = (await tg_bot.get_updates())[-1].message
    assert message is not None and message.photo and message.caption == "the broken door"
    largest = message.photo[-1]
    assert (largest.width, largest.height) == (64, 48)

    file = await tg_bot.get_file(largest.file_id)
    assert file.file_path and file.file_size == largest.file_size
    downloaded = await tg_bot.download_file(file.file_path)
    assert downloaded is not None
    data = downloaded.read()
    assert data == await bot_handle.download(largest.file_id)

    # The generated photo carries EXIF with GPS, so EXIF stripping can be tested.
    exif = Image.open(io.BytesIO(data)).getexif()
    assert exif[0x010F] == SAMPLE_CAMERA
    assert exif.get_ifd(0x8825)[1] == "N"


async def test_given_bytes_are_kept(tg_bot: Bot, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=USER_ID)
    payload = b"%PDF-1.4\n complaint attachment \n%%EOF"
    await user.send_document(payload, file_name="letter.pdf", wait=False)
    document = (await tg_bot.get_updates())[-1].message.document
    assert document is not None
    assert (document.file_name, document.mime_type, document.file_size) == (
        "letter.pdf",
        "application/pdf",
        len(payload),
    )
    file = await tg_bot.get_file(document.file_id)
    assert (await tg_bot.download_file(file.file_path)).read() == payload


async def test_oversize_file_is_too_big(tg_bot: Bot, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=USER_ID)
    await user.send_document(
        file_name="video.mp4", mime_type="video/mp4", size=25 * 1024 * 1024, wait=False
    )
    document = (await tg_bot.get_updates())[-1].message.document
    assert document is not None and document.file_size == 25 * 1024 * 1024
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await tg_bot.get_file(document.file_id)


async def test_unknown_file_id(tg_bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="wrong file_id"):
        await tg_bot.get_file("no-such-file")


async def test_bot_upload_and_resend_by_file_id(tg_bot: Bot, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=USER_ID)
    await user.send_text("/start", wait=False)
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 128, 0)).save(image, "PNG")
    sent = await tg_bot.send_photo(
        USER_ID,
        BufferedInputFile(image.getvalue(), filename="chart.png"),
        caption="<b>Chart</b>",
        parse_mode="HTML",
    )
    assert sent.photo and sent.caption == "Chart"
    assert await bot_handle.download(sent.photo[-1].file_id) == image.getvalue()
    again = await tg_bot.send_photo(USER_ID, sent.photo[-1].file_id)
    assert again.photo[-1].file_id == sent.photo[-1].file_id
    seen = await user.chat()
    assert [m.kind for m in seen] == ["text", "photo", "photo"]
    assert seen[1].caption == "Chart"
    calls = await bot_handle.calls("sendPhoto")
    assert calls[0]["params"]["photo"]["size"] == len(image.getvalue())
    assert await bot_handle.invalid_calls() == []


async def test_other_user_media_kinds(tg_bot: Bot, bot_handle: BotHandle) -> None:
    user = await bot_handle.create_user(id=USER_ID)
    await user.send_voice(wait=False)
    await user.send_sticker(wait=False)
    await user.send_animation(wait=False)
    await user.send_location(50.45, 30.52, wait=False)
    await user.send_contact("+380501234567", wait=False)
    await user.send_poll("Which?", ["A", "B"], wait=False)
    await user.send_video_note(wait=False)
    await user.send_video(wait=False)
    messages = [u.message for u in await tg_bot.get_updates()]
    assert messages[0].voice and messages[1].sticker and messages[2].animation
    assert messages[3].location and messages[3].location.latitude == pytest.approx(50.45)
    assert messages[4].contact and messages[4].contact.user_id == USER_ID
    assert messages[5].poll and [o.text for o in messages[5].poll.options] == ["A", "B"]
    assert messages[6].video_note and messages[7].video
