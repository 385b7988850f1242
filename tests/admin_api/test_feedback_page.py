"""A feedback point's public page, ``/r/<code>`` (issue 24), over HTTP on both engines:
it leads to the bot's deep link and takes the point's survey (or a rating) as one web
form; answers in Ukrainian and Russian are stored per question, with the point, the
language and the web channel; bad input is answered clearly and nothing typed is lost;
a form sent twice counts once; an unknown code is a 404 and a closed point a kind page
with the ways that still work."""

from __future__ import annotations

import asyncio
import html
import random
import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from admin_api.web.feedback_links import local_today
from storage.enums import Channel, Language
from storage.models import FeedbackPoint, Rating, SurveyResponse
from storage.services.feedback_points import MAX_TEXT_ANSWER_CHARS, FeedbackPointService
from storage.surveys import Choice, Question, QuestionKind, Relevance, Survey
from storage.xlsform import parse_xlsform
from tests.admin_api.helpers import Api
from tests.storage.helpers import make_staff
from tests.xlsform_samples import three_question_form

_TOKEN = re.compile(r'name="token" value="([^"]+)"')
UK, RU, EN = Language.UK, Language.RU, Language.EN


def labels(uk: str, ru: str, en: str) -> dict[Language, str]:
    return {UK: uk, RU: ru, EN: en}


SURVEY = Survey(
    questions=(
        Question(
            "intro",
            QuestionKind.NOTE,
            labels("Три короткі запитання.", "Три коротких вопроса.", "Three short questions."),
        ),
        Question(
            "overall",
            QuestionKind.SCALE,
            labels("Як ви оцінюєте видачу?", "Как вы оцениваете выдачу?", "How was it?"),
            required=True,
            minimum=1,
            maximum=5,
        ),
        Question(
            "received_all",
            QuestionKind.YES_NO,
            labels("Ви отримали все?", "Вы получили всё?", "Did you get everything?"),
            required=True,
            choices=(
                Choice("yes", labels("Так", "Да", "Yes")),
                Choice("no", labels("Ні", "Нет", "No")),
            ),
        ),
        Question(
            "missing",
            QuestionKind.CHOICE,
            labels("Чого бракувало?", "Чего не хватало?", "What was missing?"),
            required=True,
            choices=(
                Choice("food", labels("Продуктів", "Продуктов", "Food")),
                Choice("hygiene", labels("Засобів гігієни", "Средств гигиены", "Hygiene")),
            ),
            relevant=Relevance("received_all", "no"),
        ),
        Question(
            "comment",
            QuestionKind.TEXT,
            labels("Що покращити?", "Что улучшить?", "What should we improve?"),
        ),
    )
)


async def new_point(
    api: Api,
    *,
    survey: Survey | None = SURVEY,
    active_from: date | None = None,
    active_until: date | None = None,
) -> FeedbackPoint:
    analyst = await make_staff(api.core, "analyst", "analyst")
    async with api.core.database.transaction() as session:
        service = FeedbackPointService(session, api.core)
        today = local_today(api.core)
        point = await service.create(
            analyst,
            name="Харків, Салтівка",
            programme="food",
            oblast="UA-63",
            site="Школа №5",
            active_from=active_from or today - timedelta(days=1),
            active_until=active_until,
        )
        if survey is not None:
            # Stored as the console stores it (the XLSForm checks are not this test's).
            point.survey = survey.to_json()
        return point


async def form_page(api: Api, code: str, lang: str | None = None, **headers: str) -> str:
    response = await api.http.get(
        f"/r/{code}", params={"lang": lang} if lang else {}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    return response.text


def token_of(page: str) -> str:
    found = _TOKEN.search(page)
    assert found
    return found.group(1)


async def send(api: Api, code: str, token: str, lang: str, **answers: Any) -> httpx.Response:
    data: list[tuple[str, str]] = [("token", token), ("lang", lang)]
    for name, value in answers.items():
        for one in value if isinstance(value, list) else [value]:
            data.append((name, str(one)))
    parts = [(k, (None, v)) for k, v in data]
    # As the page sends it: the language in the form and in its address.
    return await api.http.post(f"/r/{code}?lang={lang}", files=parts)


async def responses(api: Api) -> list[SurveyResponse]:
    async with api.core.database.transaction() as session:
        return list(await session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)))


def answers_of(response: SurveyResponse) -> dict[str, Any]:
    return {
        a.question: a.number if a.number is not None else (a.value or a.text)
        for a in response.answers
    }


async def test_the_page_leads_to_the_bot_and_speaks_the_browsers_language(api: Api) -> None:
    api.core.settings.bot_username = "holos_help_bot"
    point = await new_point(api)
    page = await form_page(api, point.code, **{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert '<html lang="ru">' in page and "<title>Форма</title>" in page
    assert f'href="https://t.me/holos_help_bot?start=fp_{point.code}"' in page
    assert "Ответить здесь" in page and "Как вы оцениваете выдачу?" in page
    # The answers are about this place: its programme, oblast and site, in words.
    assert "Школа №5" in page
    # No web form here: no link to it.
    assert "/report" not in page
    api.core.settings.web_form = True
    assert 'href="/report?lang=uk"' in await form_page(api, point.code.lower())
    assert '<html lang="en">' in await form_page(api, point.code, "en")


@pytest.mark.parametrize("lang", ["uk", "ru"])
async def test_answers_are_stored_per_question_with_the_point(api: Api, lang: str) -> None:
    point = await new_point(api)
    token = token_of(await form_page(api, point.code, lang))
    done = await send(
        api,
        point.code,
        token,
        lang,
        q_overall=2,
        q_received_all="no",
        q_missing="hygiene",
        q_comment="Довга черга на вулиці.",
    )
    assert done.status_code == 200, done.text
    assert "set-cookie" not in done.headers
    assert {"uk": "Дякуємо!", "ru": "Спасибо!"}[lang] in done.text
    (stored,) = await responses(api)
    assert stored.point_id == point.id
    assert stored.language is Language(lang) and stored.channel is Channel.WEB
    assert answers_of(stored) == {
        "overall": 2,
        "received_all": "no",
        "missing": "hygiene",
        "comment": "Довга черга на вулиці.",
    }


async def test_a_question_not_asked_is_not_kept(api: Api) -> None:
    point = await new_point(api)
    token = token_of(await form_page(api, point.code, "uk"))
    # "What was missing?" is asked only after "no"; an answer sent anyway is dropped.
    done = await send(
        api, point.code, token, "uk", q_overall=5, q_received_all="yes", q_missing="food"
    )
    assert done.status_code == 200, done.text
    (stored,) = await responses(api)
    assert answers_of(stored) == {"overall": 5, "received_all": "yes"}


@pytest.mark.parametrize(
    ("answers", "question", "message"),
    [
        ({"q_received_all": "yes"}, "overall", "Пожалуйста, ответьте на этот вопрос."),
        ({"q_overall": 7, "q_received_all": "yes"}, "overall", "выберите число от 1 до 5"),
        ({"q_overall": "два", "q_received_all": "yes"}, "overall", "выберите число от 1 до 5"),
        ({"q_overall": "²", "q_received_all": "yes"}, "overall", "выберите число от 1 до 5"),
        ({"q_overall": 3, "q_received_all": "maybe"}, "received_all", "выберите один из ответов"),
        (
            {"q_overall": 3, "q_received_all": "no", "q_missing": "fuel"},
            "missing",
            "выберите один из ответов",
        ),
        ({"q_overall": 3, "q_received_all": "no"}, "missing", "ответьте на этот вопрос"),
        (
            {
                "q_overall": 3,
                "q_received_all": "yes",
                "q_comment": "ж" * (MAX_TEXT_ANSWER_CHARS + 1),
            },
            "comment",
            f"не более {MAX_TEXT_ANSWER_CHARS} символов (сейчас {MAX_TEXT_ANSWER_CHARS + 1})",
        ),
    ],
)
async def test_bad_input_is_explained_and_nothing_is_lost(
    api: Api, answers: dict[str, Any], question: str, message: str
) -> None:
    point = await new_point(api)
    token = token_of(await form_page(api, point.code, "ru"))
    refused = await send(api, point.code, token, "ru", **answers)
    assert refused.status_code == 422, refused.text
    page = html.unescape(refused.text)
    assert 'id="form-errors"' in page and message in page
    assert f'href="#f-{question}"' in page and f'id="e-{question}"' in page
    # Every answer comes back as it was chosen or typed.
    for name, value in answers.items():
        if name == "q_comment":
            assert f">{value}</textarea>" in page
        elif (str(value) in ("1", "2", "3", "4", "5")) or value in (
            "yes",
            "no",
            "food",
            "hygiene",
        ):
            assert f'name="{name}" value="{value}" checked' in page
    assert _TOKEN.search(refused.text)  # a fresh token to send again with
    assert await responses(api) == []


async def test_a_forged_or_stale_token_keeps_the_answers(api: Api) -> None:
    point = await new_point(api)
    forged = await send(api, point.code, "1.forged.00", "uk", q_overall=4, q_received_all="yes")
    assert forged.status_code == 400
    assert 'name="q_overall" value="4" checked' in forged.text
    assert await responses(api) == []


async def test_a_page_sent_twice_counts_once(api: Api) -> None:
    point = await new_point(api)
    token = token_of(await form_page(api, point.code, "uk"))
    first = await send(api, point.code, token, "uk", q_overall=4, q_received_all="yes")
    again = await send(api, point.code, token, "uk", q_overall=4, q_received_all="yes")
    assert first.status_code == again.status_code == 200
    assert "вже отримано" in again.text
    assert len(await responses(api)) == 1


async def test_a_page_sent_twice_at_once_is_stored_once(api: Api) -> None:
    point = await new_point(api)
    token = token_of(await form_page(api, point.code, "ru"))
    both = await asyncio.gather(
        *(send(api, point.code, token, "ru", q_overall=5, q_received_all="yes") for _ in range(2))
    )
    assert [r.status_code for r in both] == [200, 200]
    assert len(await responses(api)) == 1


async def test_a_page_held_back_can_be_sent_again_later(api: Api) -> None:
    """A page refused by a limit did not store its answers: its token is not spent."""
    api.core.settings.web_responses_per_address_per_hour = 1
    point = await new_point(api)
    first = token_of(await form_page(api, point.code, "uk"))
    assert (
        await send(api, point.code, first, "uk", q_overall=4, q_received_all="yes")
    ).status_code == 200
    token = token_of(await form_page(api, point.code, "uk"))
    held = await send(api, point.code, token, "uk", q_overall=2, q_received_all="yes")
    assert held.status_code == 429
    api.core.settings.web_responses_per_address_per_hour = 5
    again = await send(api, point.code, token, "uk", q_overall=2, q_received_all="yes")
    assert again.status_code == 200 and "Дякуємо!" in again.text
    assert len(await responses(api)) == 2


async def test_one_address_is_held_back_after_its_hourly_answers(api: Api) -> None:
    api.core.settings.web_responses_per_address_per_hour = 2
    point = await new_point(api)
    for _ in range(2):
        token = token_of(await form_page(api, point.code, "en"))
        sent = await send(api, point.code, token, "en", q_overall=3, q_received_all="yes")
        assert sent.status_code == 200
    token = token_of(await form_page(api, point.code, "en"))
    held = await send(api, point.code, token, "en", q_overall=1, q_received_all="yes")
    assert held.status_code == 429
    assert "Too many answers from here" in held.text
    assert 'name="q_overall" value="1" checked' in held.text
    assert len(await responses(api)) == 2


async def test_a_point_without_a_survey_takes_a_rating_tied_to_it(api: Api) -> None:
    point = await new_point(api, survey=None)
    page = await form_page(api, point.code, "uk")
    assert 'name="score"' in page and 'name="q_' not in page
    token = token_of(page)
    done = await send(
        api,
        point.code,
        token,
        "uk",
        score=2,
        reasons=["waiting_time", "respect"],
        comment="Чекали три години.",
    )
    assert done.status_code == 200, done.text
    async with api.core.database.transaction() as session:
        (rating,) = list(await session.scalars(select(Rating)))
    assert rating.feedback_point_id == point.id and rating.programme == "food"
    assert rating.score == 2 and rating.reasons == ["respect", "waiting_time"]
    assert rating.channel is Channel.WEB and rating.language is UK
    # A rating needs its score; the reasons and comment come back.
    token = token_of(page)
    refused = await send(api, point.code, token, "uk", reasons=["quality"], comment="Без оцінки")
    assert refused.status_code == 422
    assert 'value="quality" checked' in refused.text and ">Без оцінки</textarea>" in refused.text


async def test_an_unknown_code_is_a_404_with_the_ways_that_work(api: Api) -> None:
    api.core.settings.bot_username = "holos_help_bot"
    api.core.settings.web_form = True
    missing = await api.http.get("/r/ZZZZZZ", params={"lang": "uk"})
    assert missing.status_code == 404
    assert "Такого коду немає" in missing.text
    assert 'href="https://t.me/holos_help_bot"' in missing.text
    assert 'href="/report?lang=uk"' in missing.text
    sent = await api.http.post("/r/ZZZZZZ", files=[("lang", (None, "uk"))])
    assert sent.status_code == 404


async def test_a_closed_point_explains_kindly(api: Api) -> None:
    api.core.settings.bot_username = "holos_help_bot"
    today = local_today(api.core)
    expired = await new_point(
        api, active_from=today - timedelta(days=30), active_until=today - timedelta(days=2)
    )
    page = await api.http.get(f"/r/{expired.code}", params={"lang": "ru"})
    assert page.status_code == 200
    assert "Приём ответов для этого места завершён" in page.text
    assert 'href="https://t.me/holos_help_bot"' in page.text
    assert 'name="token"' not in page.text


async def test_an_uploaded_xlsforms_survey_is_answered_on_the_web(api: Api) -> None:
    """The survey as the console stores it from an XLSForm (labels in uk and ru only)."""
    point = await new_point(api, survey=None)
    keeper = await make_staff(api.core, "focal", "focal_point")
    async with api.core.database.transaction() as session:
        await FeedbackPointService(session, api.core).set_survey(
            keeper, point.code, parse_xlsform(three_question_form())
        )
    page = html.unescape(await form_page(api, point.code, "ru"))
    assert "Насколько вы довольны помощью?" in page
    assert (
        "Отвечайте, только если на вопрос «Получили ли вы всё, что было обещано?» вы ответили «Нет»."
        in page
    )
    for lang, answers in (
        ("uk", {"q_satisfaction": 4, "q_received_all": "yes"}),
        ("ru", {"q_satisfaction": 1, "q_received_all": "no", "q_missing_what": "other"}),
    ):
        token = token_of(await form_page(api, point.code, lang))
        done = await send(api, point.code, token, lang, **answers)
        assert done.status_code == 200, done.text
    first, second = await responses(api)
    assert answers_of(first) == {"satisfaction": 4, "received_all": "yes"}
    assert answers_of(second) == {"satisfaction": 1, "received_all": "no", "missing_what": "other"}
    assert [first.language, second.language] == [UK, RU]


async def test_random_forms_are_answered_or_explained_never_failed(api: Api) -> None:
    """Forms as a fuzzer sends them (any field, any value, missing or repeated ones):
    each is stored (200) or explained (422) with nothing stored, never a 500, and
    whatever the page accepts the storage accepts too."""
    api.core.settings.web_responses_per_address_per_hour = 1000
    point = await new_point(api)
    values = [
        "",
        " ",
        "1",
        "5",
        "0",
        "6",
        "-1",
        "3.0",
        "٣",
        "yes",
        "no",
        "NO",
        "food",
        "hygiene",
        "fuel",
        "ж" * 600,
        "<b>x</b>",
        "\x00",
        "1e3",
        "9" * 40,
    ]
    fields = [
        "q_overall",
        "q_received_all",
        "q_missing",
        "q_comment",
        "q_intro",
        "q_nope",
        "score",
        "token",
    ]
    rng = random.Random(24)
    stored = 0
    seen: set[int] = set()
    for _ in range(60):
        token = token_of(await form_page(api, point.code, "uk"))
        parts: list[tuple[str, tuple[None, str]]] = [("token", (None, token))]
        parts += [("lang", (None, rng.choice(["uk", "ru", "en", "de", ""])))]
        # A good answer, then up to three things a fuzzer changes or adds.
        form = {"q_overall": rng.choice("12345"), "q_received_all": rng.choice(["yes", "no"])}
        if form["q_received_all"] == "no":
            form["q_missing"] = rng.choice(["food", "hygiene"])
        extra: list[tuple[str, str]] = []
        for _ in range(rng.randint(0, 3)):
            name, value = rng.choice(fields), rng.choice(values)
            if rng.random() < 0.3:
                form.pop(name, None)
            elif rng.random() < 0.5:
                form[name] = value
            else:
                extra.append((name, value))
        parts += [(k, (None, v)) for k, v in [*form.items(), *extra]]
        answered = await api.http.post(f"/r/{point.code}", files=parts)
        assert answered.status_code in (200, 400, 422), (parts, answered.text[:300])
        seen.add(answered.status_code)
        stored += answered.status_code == 200
        assert len(await responses(api)) == stored
    assert seen >= {200, 422}


async def test_a_form_too_big_to_read_is_explained(api: Api) -> None:
    point = await new_point(api)
    token = token_of(await form_page(api, point.code, "en"))
    huge = await send(api, point.code, token, "en", q_overall=3, q_comment="x" * 100_000)
    assert huge.status_code == 400
    assert "too long to read" in huge.text and 'name="token"' in huge.text
    assert await responses(api) == []


async def test_a_point_not_open_yet_says_so_and_takes_no_answers(api: Api) -> None:
    point = await new_point(api, active_from=local_today(api.core) + timedelta(days=2))
    page = await api.http.get(f"/r/{point.code}", params={"lang": "uk"})
    assert page.status_code == 200
    assert "ще не приймаються" in page.text and 'name="token"' not in page.text
    sent = await api.http.post(
        f"/r/{point.code}?lang=uk", files=[("lang", (None, "uk")), ("q_overall", (None, "5"))]
    )
    assert sent.status_code == 200 and "ще не приймаються" in sent.text
    assert await responses(api) == []
