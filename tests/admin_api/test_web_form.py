"""The anonymous web form (issue 23 §2) over HTTP, on both engines: a report sent from
/report makes a web case with a receipt code; no cookie; a form sent twice makes one
case; a stale or forged token keeps what was typed; an empty account and hostile files
get their reasons; /status opens the case with the code (never in a URL) and a wrong
code counts against the same limits as in the bot."""

from __future__ import annotations

import html
import re
import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from storage.clock import FrozenClock
from storage.enums import Channel, FollowUpMode, Language
from storage.models import Attachment, AuditEvent, Case, ContactDetail
from storage.services.intake import IntakeService, ReportSubmission, StaffLoggedReport
from storage.services.triage import TriageService
from tests.admin_api.helpers import Api
from tests.storage.helpers import make_staff
from tests.storage.media.samples import jpeg_with_gps

_TOKEN = re.compile(r'name="token" value="([^"]+)"')
_CODE = re.compile(r'<code id="code">([0-9 ]+)</code>')
STORY = "У пункті видачі вимагали гроші за включення до списку."


@pytest.fixture
def web(api: Api) -> Api:
    api.core.settings.web_form = True
    return api


async def form_page(api: Api, lang: str = "ru") -> str:
    response = await api.http.get("/report", params={"lang": lang})
    assert response.status_code == 200, response.text
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    found = _TOKEN.search(response.text)
    assert found
    return found.group(1)


async def send(
    api: Api,
    token: str,
    files: list[tuple[str, bytes, str]] | None = None,
    **values: str,
) -> httpx.Response:
    data = {
        "token": token,
        "lang": "ru",
        "category": "fraud_corruption",
        "oblast": "UA-63",
        "narrative": STORY,
        "contact": "",
        **values,
    }
    parts: list[tuple[str, Any]] = [(k, (None, v)) for k, v in data.items()]
    for name, content, mime in files or []:
        parts.append(("files", (name, content, mime)))
    if not files:
        parts.append(("files", ("", b"", "application/octet-stream")))
    return await api.http.post("/report", files=parts)


async def cases(api: Api) -> list[Case]:
    async with api.core.database.transaction() as session:
        return list(await session.scalars(select(Case)))


async def test_off_unless_the_mission_turns_it_on(api: Api) -> None:
    assert (await api.http.get("/report")).status_code == 404
    assert (await api.http.get("/status")).status_code == 404


async def test_a_report_from_the_web_gets_a_code_and_is_a_web_case(web: Api) -> None:
    token = await form_page(web)
    done = await send(web, token, files=[("photo.jpg", jpeg_with_gps(), "image/jpeg")])
    assert done.status_code == 200, done.text
    assert "set-cookie" not in done.headers and done.headers["cache-control"] == "no-store"
    found = _CODE.search(done.text)
    assert found
    (case,) = await cases(web)
    assert case.channel is Channel.WEB and case.language is Language.RU and case.sensitive
    async with web.core.database.transaction() as session:
        event = await session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id))
    assert event is not None and event.actor_kind == "reporter" and event.actor_name is None


async def test_a_form_sent_twice_makes_one_case(web: Api) -> None:
    token = await form_page(web)
    first = await send(web, token)
    again = await send(web, token)
    assert first.status_code == again.status_code == 200
    assert _CODE.search(first.text) and not _CODE.search(again.text)
    assert len(await cases(web)) == 1


@pytest.mark.parametrize(
    "token", ["", "forged", "1700000000.abcdefghijklmnopqrstuvwx.00112233445566778899aabbccddeeff"]
)
async def test_a_forged_token_keeps_what_was_typed(web: Api, token: str) -> None:
    refused = await send(web, token, narrative="Мой текст остаётся.")
    assert refused.status_code == 400
    assert "Мой текст остаётся." in refused.text
    assert _TOKEN.search(refused.text)  # a fresh token to send it again with
    assert await cases(web) == []


async def test_a_stale_token_keeps_what_was_typed(web: Api, clock: FrozenClock) -> None:
    token = await form_page(web)
    clock.advance(timedelta(hours=13))
    refused = await send(web, token)
    assert refused.status_code == 400 and STORY in html.unescape(refused.text)
    assert await cases(web) == []


async def test_an_empty_account_is_refused_with_the_reason(web: Api) -> None:
    refused = await send(web, await form_page(web), narrative="  ")
    assert refused.status_code == 422
    assert "не может быть пустым" in refused.text
    assert await cases(web) == []


async def test_hostile_files_get_the_bots_answers(web: Api) -> None:
    refused = await send(
        web, await form_page(web), files=[("x.exe", b"MZ\x90\x00 program", "image/jpeg")]
    )
    assert refused.status_code == 422
    assert "В этом файле есть программа" in refused.text
    assert await cases(web) == []


async def test_a_contact_is_sealed(web: Api) -> None:
    done = await send(web, await form_page(web), contact="+380 67 765 43 21")
    assert done.status_code == 200, done.text
    (case,) = await cases(web)
    async with web.core.database.transaction() as session:
        detail = await session.get(ContactDetail, case.id)
    assert detail is not None and b"765" not in detail.contact_enc


async def test_status_with_the_code_reads_the_reply_and_adds_a_photo(web: Api) -> None:
    done = await send(web, await form_page(web), category="assistance_quality")
    found = _CODE.search(done.text)
    assert found
    code = found.group(1)
    (case,) = await cases(web)
    operator = await make_staff(web.core, "olena", "operator")
    async with web.core.database.transaction() as session:
        await TriageService(session, web.core).add_reply(
            case.ref, operator, {Language.RU: "Мы проверяем список."}
        )
    opened = await web.http.post("/status", data={"code": code, "lang": "ru"})
    assert opened.status_code == 200, opened.text
    assert "Мы проверяем список." in opened.text
    assert code.replace(" ", "") not in str(opened.url)
    added = await web.http.post(
        "/status/add",
        data={"code": code, "lang": "ru", "text": "Ещё одна деталь."},
        files=[("files", ("photo.jpg", jpeg_with_gps(), "image/jpeg"))],
    )
    assert added.status_code == 200, added.text
    async with web.core.database.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(Attachment))
    assert count == 1


async def test_wrong_codes_count_against_the_bots_limits(web: Api) -> None:
    limit = web.core.settings.receipt_failures_per_hour
    for i in range(limit):
        missed = await web.http.post("/status", data={"code": f"{i:016d}", "lang": "en"})
        assert missed.status_code == 404
    refused = await web.http.post("/status", data={"code": "9" * 16, "lang": "en"})
    assert refused.status_code == 429
    assert "Too many wrong codes" in refused.text


async def test_a_claim_code_from_the_hotline_is_exchanged_once_on_status(web: Api) -> None:
    operator = await make_staff(web.core, "olena", "operator")
    item = StaffLoggedReport(
        report=ReportSubmission(
            category="sexual_exploitation",
            language=Language.EN,
            oblast="UA-63",
            narrative="Told at the help desk.",
            channel=Channel.IN_PERSON,
        ),
        follow_up=FollowUpMode.CODE,
        intake_key=secrets.token_urlsafe(16),
    )
    async with web.core.database.transaction() as session:
        logged = await IntakeService(session, web.core).log_case(operator, item)
    assert logged.claim and logged.code is not None
    first = await web.http.post("/status", data={"code": logged.code, "lang": "en"})
    assert first.status_code == 200, first.text
    assert "Your own receipt code:" in first.text
    found = _CODE.search(first.text)
    assert found and found.group(1).replace(" ", "") != logged.code
    again = await web.http.post("/status", data={"code": logged.code, "lang": "en"})
    assert again.status_code == 409
    assert "already been used" in again.text and "Told at the help desk" not in again.text
    own = await web.http.post("/status", data={"code": found.group(1), "lang": "en"})
    assert own.status_code == 200
