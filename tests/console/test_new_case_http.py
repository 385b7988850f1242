""" "New case" over HTTP, on SQLite and PostgreSQL: what staff log, the code shown once,
the claim code of a sealed case, a form posted twice, and the bad input the issue names
(an empty account, hostile and oversized files)."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
from sqlalchemy import func, select

from storage.enums import Channel
from storage.models import AuditEvent, Case
from storage.services.intake import IntakeService
from tests.console.http_client import Browser, ServedConsole, csrf_of
from tests.storage.helpers import Reporters, make_staff, otp
from tests.storage.media.attacks import zip_member_bomb
from tests.storage.media.samples import jpeg_with_gps

_CODE = re.compile(r'<code id="code" data-kind="(\w+)">([0-9 ]+)</code>')
_KEY = re.compile(r'name="intake_key" value="([^"]+)"')


def fields(page: str, **values: str) -> dict[str, str]:
    form = {
        "csrf": csrf_of(page),
        "intake_key": _KEY.search(page).group(1),  # type: ignore[union-attr]
        "channel": "hotline",
        "category": "assistance_quality",
        "programme": "food",
        "oblast": "UA-63",
        "language": "uk",
        "narrative": "Дзвонила жінка: видали менше продуктів, ніж у списку.",
        "follow_up": "code",
        "contact": "",
    }
    form.update(values)
    return form


async def post_form(
    browser: Browser, data: dict[str, str], files: list[tuple[str, bytes, str]] | None = None
) -> httpx.Response:
    parts: list[tuple[str, Any]] = [(name, (None, value)) for name, value in data.items()]
    for filename, content, mime in files or []:
        parts.append(("files", (filename, content, mime)))
    if not files:
        parts.append(("files", ("", b"", "application/octet-stream")))
    response = await browser.http.post(
        "/console/cases/new", files=parts, headers={"Accept-Language": "en"}
    )
    browser.last_page = response.text
    return response


async def signed_in(served: ServedConsole, username: str, role: str) -> Browser:
    await make_staff(served.core, username, role)
    browser = await served.browser()
    assert (await browser.password(username)).status_code == 303
    code = await otp(served.core, username)
    if code is not None:
        await browser.step()
        assert (await browser.code(code)).status_code == 303
    return browser


def shown_code(page: str) -> tuple[str, str]:
    found = _CODE.search(page)
    assert found, "no code on the page"
    return found.group(1), found.group(2).replace(" ", "")


async def count_cases(served: ServedConsole) -> int:
    async with served.core.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def test_an_operator_logs_a_hotline_call_and_the_code_opens_it(
    served: ServedConsole,
) -> None:
    operator = await signed_in(served, "olena", "operator")
    worklist = await operator.get("/console/cases")
    assert 'href="/console/cases/new"' in worklist.text
    form = await operator.get("/console/cases/new")
    assert form.status_code == 200
    done = await post_form(operator, fields(form.text))
    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    kind, code = shown_code(done.text)
    assert kind == "receipt"
    core = served.core
    async with core.database.transaction() as session:
        match = await IntakeService(session, core).lookup_code(
            code, misses=Reporters(core).misses("caller")
        )
        assert match is not None
        assert match.case.channel is Channel.HOTLINE
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.case_ref == match.case.ref)
        )
        assert event is not None and event.actor_name == "olena"
        ref = match.case.ref
    page = await operator.get(f"/console/cases/{ref}")
    assert page.status_code == 200 and "Hotline call" in page.text


async def test_a_sealed_case_shows_a_claim_code_once_then_the_operator_gets_404(
    served: ServedConsole,
) -> None:
    operator = await signed_in(served, "olena", "operator")
    form = await operator.get("/console/cases/new")
    done = await post_form(
        operator,
        fields(form.text, category="sexual_exploitation", channel="in_person"),
        files=[("photo.jpg", jpeg_with_gps(), "image/jpeg")],
    )
    assert done.status_code == 200, done.text
    kind, code = shown_code(done.text)
    assert kind == "claim"
    async with served.core.database.transaction() as session:
        case = await session.scalar(select(Case))
        assert case is not None and case.sensitive and case.claimed_at is None
        ref = case.ref
    assert f"/console/cases/{ref}" not in done.text
    assert (await operator.get(f"/console/cases/{ref}")).status_code == 404
    focal = await signed_in(served, "focal", "focal_point")
    page = await focal.get(f"/console/cases/{ref}")
    assert page.status_code == 200
    assert "Not claimed yet" in page.text and "In person" in page.text
    # The person exchanges the code in the bot: the case shows it was claimed.
    core = served.core
    async with core.database.transaction() as session:
        match = await IntakeService(session, core).lookup_code(
            code, misses=Reporters(core).misses("person")
        )
        assert match is not None and match.receipt_code is not None
    page = await focal.get(f"/console/cases/{ref}")
    assert "Claimed: the person has a receipt code of their own" in html.unescape(page.text)


async def test_a_form_posted_twice_makes_one_case(served: ServedConsole) -> None:
    operator = await signed_in(served, "olena", "operator")
    form = await operator.get("/console/cases/new")
    data = fields(form.text)
    first = await post_form(operator, data)
    again = await post_form(operator, data)
    assert first.status_code == again.status_code == 200
    shown_code(first.text)
    assert _CODE.search(again.text) is None
    assert "was sent already" in again.text
    assert await count_cases(served) == 1


async def test_an_empty_account_is_refused_with_the_reason_and_keeps_the_form(
    served: ServedConsole,
) -> None:
    operator = await signed_in(served, "olena", "operator")
    form = await operator.get("/console/cases/new")
    refused = await post_form(operator, fields(form.text, narrative="   ", contact="kept"))
    assert refused.status_code == 422
    assert "the account cannot be empty" in html.unescape(refused.text)
    assert 'value="kept"' in refused.text
    assert await count_cases(served) == 0


async def test_hostile_files_get_the_bots_answers_and_nothing_is_logged(
    served: ServedConsole,
) -> None:
    operator = await signed_in(served, "olena", "operator")
    form = await operator.get("/console/cases/new")
    data = fields(form.text)
    bomb = zip_member_bomb(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        unpacked=200 * 1024 * 1024,  # past the 128 MB an archive may unfold to
    )
    refused = await post_form(
        operator,
        data,
        files=[
            ("invoice.pdf.exe", b"MZ\x90\x00 a program", "application/octet-stream"),
            ("report.docx", bomb, "application/octet-stream"),
            ("scan.pdf", jpeg_with_gps(), "application/pdf"),
        ],
    )
    assert refused.status_code == 422
    page = html.unescape(refused.text)
    assert "File 1: This file contains a program or a web page" in page
    assert "File 2: This file would take too much work to open safely" in page
    assert "File 3: I cannot accept this type of file" in page
    # No file name is echoed back: a name can identify someone.
    assert "invoice" not in page and "scan.pdf" not in page
    assert await count_cases(served) == 0
    assert list(served.core.blobs.root.glob("*/*/*")) == []


async def test_a_file_over_the_limit_is_refused_and_never_kept(served: ServedConsole) -> None:
    served.core.settings.attachment_max_bytes = 2048
    operator = await signed_in(served, "olena", "operator")
    form = await operator.get("/console/cases/new")
    refused = await post_form(
        operator, fields(form.text), files=[("big.pdf", b"%PDF" + b"x" * 8192, "application/pdf")]
    )
    assert refused.status_code == 422
    assert "File 1: This file is too big" in html.unescape(refused.text)
    assert await count_cases(served) == 0


async def test_roles_without_cases_cannot_log_one(served: ServedConsole) -> None:
    analyst = await signed_in(served, "anna", "analyst")
    assert (await analyst.get("/console/cases/new")).status_code == 403


async def test_a_form_without_its_csrf_token_is_refused(served: ServedConsole) -> None:
    operator = await signed_in(served, "olena", "operator")
    form = await operator.get("/console/cases/new")
    refused = await post_form(operator, fields(form.text, csrf="forged"))
    assert refused.status_code == 403
    assert await count_cases(served) == 0
