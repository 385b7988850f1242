"""The anonymous web form (issue 23 §2) over HTTP, on both engines: a report sent from
/report makes a web case with a receipt code; no cookie; a form sent twice makes one
case; a stale or forged token keeps what was typed; an empty account and hostile files
get their reasons; /status opens the case with the code (never in a URL) and a wrong
code counts against the same limits as in the bot. The form asks what the bot asks in
two steps, both posted (the category never enters a URL): the category, then its intro
(a sensitive one's own, with only its referral lines), the programme and the rest;
codes posted by hand that name no category or programme are refused, keeping the text."""

from __future__ import annotations

import html
import re
import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from admin_api.web.i18n import translations
from storage import wording
from storage.catalog import Catalog
from storage.clock import FrozenClock
from storage.enums import Channel, FollowUpMode, Language
from storage.models import Attachment, AuditEvent, Case, ContactDetail
from storage.services.intake import IntakeService, ReportSubmission, StaffLoggedReport
from storage.services.triage import TriageService
from storage.settings import ContactEntry
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
        "step": "send",
        "category": "fraud_corruption",
        "programme": "cash",
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


# Two steps, as the bot asks ------------------------------------------------------------

_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
_ACTIONS = re.compile(r'(?:action|href|formaction)="([^"]*)"')
RU = translations("ru")


def tr(msgid: str) -> str:
    return str(RU.gettext(msgid))


async def step(api: Api, token: str, name: str, **values: str) -> httpx.Response:
    """One press of a step's button (``details``: step 1's «Continue», ``back``: step 2's
    «Back»), posted as the browser posts it; never a redirect."""
    data = {"token": token, "lang": "ru", "step": name, **values}
    response = await api.http.post("/report", data=data)
    assert "location" not in response.headers and "set-cookie" not in response.headers
    assert response.url.path == "/report" and not response.url.query
    return response


def token_of(page: str) -> str:
    found = _TOKEN.search(page)
    assert found
    return found.group(1)


def text(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def test_the_category_then_its_questions_and_the_programme_is_stored(web: Api) -> None:
    first = await web.http.get("/report", params={"lang": "ru"})
    assert 'action="/report"' in first.text and 'name="step" value="details"' in first.text
    assert 'name="narrative"' in first.text and "<textarea" not in first.text  # step 1 only
    second = await step(web, token_of(first.text), "details", category="fraud_corruption")
    assert second.status_code == 200, second.text
    page = text(second)
    assert 'name="category" value="fraud_corruption"' in page
    assert tr("Which assistance is this about?") in page
    for programme in web.core.catalog.programmes:
        assert f'id="p-{programme.code}"' in page and programme.name("ru") in page
    assert tr("Not sure / other") in page
    done = await send(web, token_of(page), programme="food")
    assert done.status_code == 200, done.text
    assert _CODE.search(done.text)
    (case,) = await cases(web)
    assert (case.category, case.programme, case.channel) == (
        "fraud_corruption",
        "food",
        Channel.WEB,
    )


async def test_not_sure_files_the_report_without_a_programme(web: Api) -> None:
    done = await send(web, await form_page(web), category="assistance_quality", programme="-")
    assert done.status_code == 200, done.text
    (case,) = await cases(web)
    assert case.category == "assistance_quality" and case.programme is None


async def test_without_programmes_in_the_catalog_the_question_is_not_asked(web: Api) -> None:
    web.core.catalog = Catalog(programmes=())
    second = await step(web, await form_page(web), "details", category="suggestion")
    assert second.status_code == 200
    assert tr("Which assistance is this about?") not in text(second)
    assert 'name="programme"' not in second.text
    done = await send(web, token_of(second.text), category="suggestion", programme="")
    assert done.status_code == 200, done.text
    (case,) = await cases(web)
    assert case.programme is None


def configure_two_lines(api: Api) -> None:
    api.core.settings.referral_contacts = [
        ContactEntry(
            phone="0 800 111 111",
            names={Language.EN: "Line for abuse", Language.RU: "Линия по насилию"},
            confidential=True,
            categories=["sexual_exploitation"],
        ),
        ContactEntry(
            phone="0 800 222 222",
            names={Language.EN: "Anti-corruption line", Language.RU: "Антикоррупционная линия"},
            confidential=False,
            categories=["fraud_corruption"],
        ),
    ]


async def test_a_sensitive_category_shows_its_own_intro_and_referral_lines(web: Api) -> None:
    configure_two_lines(web)
    token = await form_page(web)
    abuse = text(await step(web, token, "details", category="sexual_exploitation"))
    fraud = text(await step(web, token, "details", category="fraud_corruption"))
    for category, page in (("sexual_exploitation", abuse), ("fraud_corruption", fraud)):
        # The bot's own words (storage.wording), in Russian, the editor's correction in.
        for line in wording.sensitive_intro(category):
            assert tr(line) in page, line
        assert tr(wording.HELP_NOW) in page
    assert "Такими обращениями занимается только небольшая" not in abuse
    assert tr(wording.NOT_YOUR_FAULT_LINE) in abuse
    assert tr(wording.NOT_YOUR_FAULT_LINE) not in fraud
    assert "0 800 111 111</strong>: Линия по насилию " + tr(wording.CONFIDENTIAL) in abuse
    assert "0 800 222 222" not in abuse and "Антикоррупционная" not in abuse
    assert "0 800 222 222</strong>: Антикоррупционная линия</li>" in fraud
    assert "0 800 111 111" not in fraud and "Линия по насилию" not in fraud


async def test_a_standard_category_has_the_short_general_intro(web: Api) -> None:
    configure_two_lines(web)
    page = text(await step(web, await form_page(web), "details", category="staff_conduct"))
    for line in wording.general_intro():
        assert tr(line) in page
    assert tr(wording.sensitive_intro("fraud_corruption")[1]) not in page
    assert tr(wording.HELP_NOW) not in page and "0 800" not in page


async def test_back_to_change_the_category_keeps_what_was_typed(web: Api) -> None:
    typed = {
        "category": "fraud_corruption",
        "programme": "shelter",
        "oblast": "UA-46",
        "narrative": 'Строка "первая"\nи <вторая> & третья.',
        "contact": "+380 67 765 43 21",
    }
    back = await step(web, await form_page(web), "back", **typed)
    assert back.status_code == 200
    assert 'id="c-fraud_corruption" name="category" value="fraud_corruption" checked' in back.text
    assert "<textarea" not in back.text  # step 1: what was typed rides along hidden
    kept = {name: html.unescape(value) for name, value in _HIDDEN.findall(back.text)}
    assert {name: kept[name] for name in typed if name != "category"} == {
        name: value for name, value in typed.items() if name != "category"
    }
    token = kept.pop("token")
    again = await step(web, token, "details", **{**kept, "category": "trafficking"})
    page = text(again)
    assert typed["narrative"] in page and typed["contact"] in page
    assert 'value="shelter" checked' in page and 'value="UA-46" selected' in page
    assert 'name="category" value="trafficking"' in page
    assert "&lt;вторая&gt;" in again.text  # what was typed is escaped, never markup
    done = await send(web, token_of(again.text), **{**typed, "category": "trafficking"})
    assert done.status_code == 200, done.text
    (case,) = await cases(web)
    assert (case.category, case.programme, case.oblast) == ("trafficking", "shelter", "UA-46")


@pytest.mark.parametrize("forged", ["", "no_such_category", "fraud_corruption<script>"])
async def test_a_forged_category_is_refused_at_either_step_keeping_the_text(
    web: Api, forged: str
) -> None:
    token = await form_page(web)
    chosen = await step(web, token, "details", category=forged, narrative="Мой текст.")
    assert chosen.status_code == 422
    assert tr("Please choose what the report is about.") in text(chosen)
    assert 'value="Мой текст."' in chosen.text
    sent = await send(web, token, category=forged, narrative="Мой текст.")
    assert sent.status_code == 422
    assert tr("Please choose what the report is about.") in text(sent)
    assert 'value="Мой текст."' in sent.text and "<script>" not in sent.text
    assert await cases(web) == []


@pytest.mark.parametrize("forged", ["", "no_such_programme", "CASH"])
async def test_a_forged_programme_is_refused_keeping_the_text(web: Api, forged: str) -> None:
    refused = await send(web, await form_page(web), programme=forged, narrative="Мой текст.")
    assert refused.status_code == 422
    page = text(refused)
    assert tr("Please choose which assistance this is about, or «Not sure / other».") in page
    assert ">Мой текст.</textarea>" in page and 'value="fraud_corruption"' in page
    assert await cases(web) == []


async def test_a_forged_oblast_is_refused_keeping_the_text(web: Api) -> None:
    refused = await send(web, await form_page(web), oblast="UA-99", narrative="Мой текст.")
    assert refused.status_code == 422
    assert tr("Please choose where it happened.") in text(refused)
    assert ">Мой текст.</textarea>" in text(refused)
    assert await cases(web) == []


async def test_the_category_never_enters_a_url(web: Api) -> None:
    """Every step is a POST to /report answered in place: no Location header, and no
    form action or link of any page of the flow names the category."""
    token = await form_page(web)
    pages = [(await web.http.get("/report", params={"lang": "ru"})).text]
    for name in ("details", "back"):
        response = await step(web, token, name, category="sexual_exploitation")
        pages.append(response.text)
    refused = await send(web, "forged", category="sexual_exploitation")
    done = await send(web, token_of(pages[1]), category="sexual_exploitation")
    for response in (refused, done):
        assert "location" not in response.headers and not response.url.query
        pages.append(response.text)
    urls = [url for page in pages for url in _ACTIONS.findall(page)]
    assert 'action="/report"' in pages[1] and urls
    for url in urls:
        assert "sexual" not in url and "category" not in url, url


# The language switch -------------------------------------------------------------------

_SWITCH = re.compile(r'<button type="submit" form="report-form" name="switch_lang" value="(\w+)"')


async def test_switching_language_keeps_the_step_and_everything_typed(web: Api) -> None:
    """Step 2 typed in Ukrainian, then «Русский»: the same step in Russian with the
    category, programme, oblast, account and contact all kept; nothing is stored, and
    the page's own token (a fresh one, as after «Back») still sends the report once."""
    typed = {
        "category": "fraud_corruption",
        "programme": "shelter",
        "oblast": "UA-46",
        "narrative": 'Комірник "вимагав" гроші <за> список & мовчання.',
        "contact": "+380 67 765 43 21",
    }
    token = token_of((await web.http.get("/report", params={"lang": "uk"})).text)
    second = await step(web, token, "details", lang="uk", category=typed["category"])
    assert 'name="at" value="details"' in second.text
    assert _SWITCH.findall(second.text) == ["uk", "ru", "en"]
    assert 'href="?lang=' not in second.text  # no link that would open an empty form
    switched = await web.http.post(
        "/report",
        data={
            "token": token_of(second.text),
            "lang": "uk",
            "at": "details",
            "switch_lang": "ru",
            **typed,
        },
    )
    assert switched.status_code == 200, switched.text
    assert "location" not in switched.headers and not switched.url.query
    page = text(switched)
    assert '<html lang="ru">' in page and 'name="lang" value="ru"' in page
    assert tr("Which assistance is this about?") in page
    assert tr(wording.sensitive_intro("fraud_corruption")[0]) in page
    assert 'name="category" value="fraud_corruption"' in page
    assert 'value="shelter" checked' in page and 'value="UA-46" selected' in page
    assert f">{typed['narrative']}</textarea>" in page and typed["contact"] in page
    assert "&lt;за&gt;" in switched.text  # escaped, never markup
    assert 'id="files-again"' not in page  # no files were chosen
    assert await cases(web) == []
    done = await send(web, token_of(page), lang="ru", **typed)
    assert done.status_code == 200 and _CODE.search(done.text)
    assert "switch_lang" not in done.text and 'href="?lang=' not in done.text  # code once
    again = await send(web, token_of(page), lang="ru", **typed)
    assert not _CODE.search(again.text)
    (case,) = await cases(web)
    assert case.language is Language.RU and (case.programme, case.oblast) == ("shelter", "UA-46")
    assert case.category == "fraud_corruption"


async def test_switching_language_on_step_one_after_back_keeps_it_step_one(web: Api) -> None:
    typed = {"programme": "food", "oblast": "UA-63", "narrative": "Мой текст.", "contact": "x"}
    back = await step(web, await form_page(web), "back", category="trafficking", **typed)
    assert 'name="at" value="category"' in back.text
    switched = await step(
        web,
        token_of(back.text),
        "",
        at="category",
        switch_lang="en",
        category="trafficking",
        **typed,
    )
    assert switched.status_code == 200
    assert '<html lang="en">' in switched.text and "<textarea" not in switched.text
    assert 'id="c-trafficking" name="category" value="trafficking" checked' in switched.text
    kept = {name: html.unescape(value) for name, value in _HIDDEN.findall(switched.text)}
    assert {name: kept[name] for name in typed} == typed and kept["lang"] == "en"
    assert await cases(web) == []


async def test_switching_language_with_files_chosen_asks_for_them_again(web: Api) -> None:
    switched = await send(
        web,
        await form_page(web),
        files=[("photo.jpg", jpeg_with_gps(), "image/jpeg")],
        step="",
        at="details",
        switch_lang="uk",
    )
    assert switched.status_code == 200
    assert 'id="files-again"' in switched.text and '<html lang="uk">' in switched.text
    assert STORY in text(switched)
    assert await cases(web) == []
    async with web.core.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Attachment)) == 0


@pytest.mark.parametrize("forged", ["de", "", "ru<script>"])
async def test_a_forged_language_or_category_on_a_switch_stores_nothing(
    web: Api, forged: str
) -> None:
    """An unknown language falls back to Ukrainian; an unknown category to step 1
    (never echoed); either way nothing is sent."""
    switched = await send(
        web,
        await form_page(web),
        step="",
        at="details",
        switch_lang=forged or "xx",
        category=forged or "nope",
    )
    assert switched.status_code == 200
    assert '<html lang="uk">' in switched.text and "<textarea" not in switched.text
    assert "<script>" not in switched.text and STORY in text(switched)
    assert await cases(web) == []
