"""Feedback points over the API (issue 24), with real tokens on both engines: every
signed-in role reads them, filtered by programme, oblast and a day they are open, and
one point with its links and its survey's definition."""

from __future__ import annotations

from datetime import date

from storage.access import Actor
from storage.core import Core
from storage.enums import Language
from storage.models import FeedbackPoint
from storage.services.feedback_points import FeedbackPointService
from storage.surveys import Choice, Question, QuestionKind, Survey
from tests.admin_api.helpers import ROLES, Api

UK, EN = Language.UK, Language.EN
SURVEY = Survey(
    questions=(
        Question("satisfied", QuestionKind.SCALE, {UK: "Наскільки?", EN: "How satisfied?"}),
        Question(
            "sex",
            QuestionKind.CHOICE,
            {EN: "Sex"},
            choices=(Choice("f", {EN: "Female"}), Choice("m", {EN: "Male"})),
        ),
    )
)


async def create(core: Core, actor: Actor, name: str, **overrides: object) -> FeedbackPoint:
    values: dict[str, object] = {
        "name": name,
        "programme": "cash",
        "oblast": "UA-63",
        "active_from": date(2026, 3, 1),
        "active_until": date(2026, 3, 31),
    }
    values.update(overrides)
    async with core.database.transaction() as session:
        return await FeedbackPointService(session, core).create(actor, **values)  # type: ignore[arg-type]


async def test_every_role_reads_the_points_filtered(staffed: Api) -> None:
    api = staffed
    core = api.core
    core.settings.bot_username = "holos_help_bot"
    core.settings.public_url = "https://holos.example.org"
    analyst = api.actors["analyst"]
    school = await create(core, analyst, "School 4", site="Saltivka", served=400)
    await create(core, analyst, "Shelter", programme="shelter", oblast="UA-46")
    await create(core, analyst, "Later", active_from=date(2026, 5, 1), active_until=None)
    for role in ROLES:
        response = await api.call("GET", "/api/v1/feedback-points", role)
        assert response.status_code == 200, role
        assert {p["name"] for p in response.json()["items"]} == {"School 4", "Shelter", "Later"}

    async def names(query: str) -> list[str]:
        response = await api.call("GET", f"/api/v1/feedback-points?{query}", "operator")
        assert response.status_code == 200, response.text
        return sorted(p["name"] for p in response.json()["items"])

    assert await names("programme=cash") == ["Later", "School 4"]
    assert await names("oblast=UA-46") == ["Shelter"]
    assert await names("active_on=2026-03-15") == ["School 4", "Shelter"]
    assert await names("programme=cash&active_on=2026-06-01") == ["Later"]
    listed = (await api.call("GET", "/api/v1/feedback-points?oblast=UA-63", "analyst")).json()
    first = next(p for p in listed["items"] if p["name"] == "School 4")
    assert first == {
        "code": school.code,
        "name": "School 4",
        "programme": "cash",
        "oblast": "UA-63",
        "site": "Saltivka",
        "active_from": "2026-03-01",
        "active_until": "2026-03-31",
        "served": 400,
        "questions": 0,
        "telegram_link": f"https://t.me/holos_help_bot?start=fp_{school.code}",
        "web_link": f"https://holos.example.org/r/{school.code}",
        "created_at": first["created_at"],
        "updated_at": first["updated_at"],
    }
    for bad in ("programme=nope", "oblast=UA-99", "active_on=March"):
        refused = await api.call("GET", f"/api/v1/feedback-points?{bad}", "analyst")
        assert refused.status_code == 422, bad
    unsigned = await api.call("GET", "/api/v1/feedback-points")
    assert unsigned.status_code == 401


async def test_one_point_with_its_survey(staffed: Api) -> None:
    api = staffed
    core = api.core
    point = await create(core, api.actors["focal_point"], "School 4")
    async with core.database.transaction() as session:
        row = await session.get(FeedbackPoint, point.id)
        assert row is not None
        row.survey = SURVEY.to_json()  # as set_survey stores it
    response = await api.call("GET", f"/api/v1/feedback-points/{point.code.lower()}", "analyst")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["questions"]) == (point.code, 2)
    assert body["telegram_link"] is None and body["web_link"] is None  # not configured
    assert Survey.from_json(body["survey"]) == SURVEY
    missing = await api.call("GET", "/api/v1/feedback-points/ZZZZZZ", "operator")
    assert (missing.status_code, missing.json()["code"]) == (404, "feedback_point_not_found")
    malformed = await api.call("GET", "/api/v1/feedback-points/abc", "operator")
    assert malformed.status_code == 422
