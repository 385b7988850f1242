"""Feedback points (issue 24): where assistance is given and people are asked about it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from storage.core import Core
from storage.models import FeedbackPoint
from storage.services.feedback_points import deep_link, web_link


class FeedbackPointOut(BaseModel):
    code: str = Field(description="The short code in the poster's links.")
    name: str
    programme: str = Field(description="A programme code of the catalogue.")
    oblast: str = Field(description="An ISO 3166-2:UA code, as cases carry it.")
    site: str | None
    active_from: date
    active_until: date | None = Field(description="The last day it is open; null: no end.")
    served: int | None = Field(description="How many people it serves, when known.")
    questions: int = Field(description="Questions in its survey (0: it asks for a rating).")
    telegram_link: str | None = Field(
        description="The bot's deep link; null until the bot's username is known."
    )
    web_link: str | None = Field(description="The web page; null without HOLOS_PUBLIC_URL.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, point: FeedbackPoint, core: Core) -> FeedbackPointOut:
        return cls(**_fields(point, core))


class FeedbackPointDetail(FeedbackPointOut):
    survey: dict[str, Any] | None = Field(
        description="The survey as stored (a versioned definition: questions, choices, "
        "labels per language); null when it has none."
    )

    @classmethod
    def of(cls, point: FeedbackPoint, core: Core) -> FeedbackPointDetail:
        return cls(**_fields(point, core), survey=point.survey)


class FeedbackPointList(BaseModel):
    items: list[FeedbackPointOut]


def _fields(point: FeedbackPoint, core: Core) -> dict[str, Any]:
    survey = point.survey_definition
    bot = core.telegram_username
    public_url = core.settings.public_url
    return {
        "code": point.code,
        "name": point.name,
        "programme": point.programme,
        "oblast": point.oblast,
        "site": point.site,
        "active_from": point.active_from,
        "active_until": point.active_until,
        "served": point.served,
        "questions": len(survey.asked) if survey else 0,
        "telegram_link": deep_link(bot.lstrip("@"), point.code) if bot else None,
        "web_link": web_link(public_url, point.code) if public_url else None,
        "created_at": point.created_at,
        "updated_at": point.updated_at,
    }
