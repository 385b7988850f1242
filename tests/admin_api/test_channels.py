"""Counts by channel (issue 23): ``GET /api/v1/stats?group_by=channel`` and the export's
channel column, on both engines, with the analysts' rule for sensitive cases (one group,
never by channel)."""

from __future__ import annotations

import csv
import io
import secrets

import pytest

from storage.access import Actor
from storage.core import Core
from storage.enums import Channel, FollowUpMode, Language
from storage.services.intake import IntakeService, ReportSubmission, StaffLoggedReport
from tests.admin_api.helpers import ROLES, Api
from tests.storage.helpers import submit


async def log(core: Core, actor: Actor, channel: Channel, category: str) -> None:
    item = StaffLoggedReport(
        report=ReportSubmission(
            category=category,
            language=Language.UK,
            oblast="UA-63",
            narrative="Записано зі слів людини.",
            channel=channel,
        ),
        follow_up=FollowUpMode.NONE,
        intake_key=secrets.token_urlsafe(16),
    )
    async with core.database.transaction() as session:
        await IntakeService(session, core).log_case(actor, item)


@pytest.fixture
async def channels(api: Api) -> Api:
    """Two reports through the bot, two hotline calls, a walk-in, and a sensitive walk-in."""
    for role in ROLES:
        await api.add_staff(role, role)
    core, operator = api.core, api.actors["operator"]
    await submit(core)
    await submit(core, category="staff_conduct")
    await log(core, operator, Channel.HOTLINE, "assistance_quality")
    await log(core, operator, Channel.HOTLINE, "selection_process")
    await log(core, operator, Channel.IN_PERSON, "assistance_quality")
    await log(core, operator, Channel.IN_PERSON, "sexual_exploitation")
    return api


async def by_channel(api: Api, who: str) -> tuple[dict[str, int], dict[str, int]]:
    response = await api.call("GET", "/api/v1/stats", who, params={"group_by": "channel"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group_by"] == "channel"
    groups = {g["key"]: g["cases"]["received"] for g in body["groups"]}
    return groups, body["received_by"]["channel"]


async def test_a_focal_point_counts_every_case_by_its_channel(channels: Api) -> None:
    groups, received = await by_channel(channels, "focal_point")
    assert groups == received == {"telegram": 2, "hotline": 2, "in_person": 2}


async def test_an_analyst_sees_sensitive_cases_as_one_group_never_by_channel(
    channels: Api,
) -> None:
    groups, received = await by_channel(channels, "analyst")
    assert groups == received == {"telegram": 2, "hotline": 2, "in_person": 1, "sensitive": 1}


@pytest.mark.parametrize("who", ["operator", "admin"])
async def test_roles_without_sensitive_cases_do_not_count_them(channels: Api, who: str) -> None:
    groups, received = await by_channel(channels, who)
    assert groups == received == {"telegram": 2, "hotline": 2, "in_person": 1}


async def test_the_export_has_each_cases_channel_and_no_sensitive_row_for_an_analyst(
    channels: Api,
) -> None:
    response = await channels.call("GET", "/api/v1/export", "analyst", params={"format": "csv"})
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8")[1:])))
    assert sorted(row["Channel code"] for row in rows) == [
        "hotline",
        "hotline",
        "in_person",
        "telegram",
        "telegram",
    ]
    # The channel's name in the file's language beside its code.
    assert {(row["Channel"], row["Channel code"]) for row in rows} == {
        ("Hotline call", "hotline"),
        ("In person", "in_person"),
        ("Telegram bot", "telegram"),
    }
