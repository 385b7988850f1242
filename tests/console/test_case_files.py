"""The case page's files (issue 18 §2): each is offered under a name made from its type
and place in the case, downloads under that name, and the reporter's name is nowhere.

``HOLOS_SCREENSHOTS=dir`` saves the page at phone and desktop width."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import ViewportSize

from storage.enums import AttachmentKind
from storage.services.attachments import AttachmentService
from tests.console.helpers import PHONE, Console
from tests.storage.helpers import submit
from tgemu import samples

SHOTS = os.environ.get("HOLOS_SCREENSHOTS")
WIDE: ViewportSize = {"width": 1366, "height": 900}


def test_files_are_named_by_their_type_and_place(console: Console) -> None:
    async def scenario() -> None:
        service = AttachmentService(console.core)
        photo = await service.stage(
            kind=AttachmentKind.PHOTO, mime_type=None, data=samples.jpeg_with_exif()
        )
        scan = await service.stage(
            kind=AttachmentKind.DOCUMENT,
            mime_type="application/pdf",
            data=samples.pdf("distribution list"),
            filename="skarha_Petrenko.pdf",
        )
        note = await service.stage(
            kind=AttachmentKind.DOCUMENT,
            mime_type="text/plain",
            data="Список: 12 родин\n".encode(),
            filename="Petrenko.txt",
        )
        ref = (await submit(console.core, attachments=[photo, scan, note])).ref
        await console.staff("olena", "operator")
        for viewport, name in ((PHONE, "390"), (WIDE, "1366")):
            page = await console.page(viewport)
            await console.sign_in(page, "olena")
            await page.goto(console.url(f"/console/cases/{ref}"))
            files = page.locator("ul.files li")
            assert await files.count() == 3
            assert await files.nth(0).locator("img").count() == 1
            links = [await files.nth(n).inner_text() for n in (1, 2)]
            assert "document-2.pdf" in links[0] and "document-3.txt" in links[1]
            assert "Petrenko" not in await page.content()
            if SHOTS:
                await page.screenshot(
                    path=str(Path(SHOTS) / f"console-case-files-{name}.png"), full_page=True
                )
        async with page.expect_download() as info:
            await files.nth(1).locator("a").click()
        download = await info.value
        assert download.suggested_filename == "document-2.pdf"

    console.run(scenario())
