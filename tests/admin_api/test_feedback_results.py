"""``GET /api/v1/feedback-points/{code}/results`` and ``/export?kind=feedback_responses``
with real tokens on both engines: the figures worked out by hand
(tests/storage/feedback_seed.py), text answers for operators and focal points only,
demographic groups below 5 withheld, the export's columns, the audit event."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from storage.clock import FrozenClock
from tests.admin_api.helpers import ROLES, Api, audit_events
from tests.storage.feedback_seed import Seeded, seed
from tests.storage.helpers import make_staff

FEBRUARY = {"from": "2026-02-01", "to": "2026-02-28"}


@pytest.fixture
async def seeded(api: Api, clock: FrozenClock) -> tuple[Api, Seeded]:
    maker = await make_staff(api.core, "maker", "analyst")
    points = await seed(api.core, clock, maker)
    for role in ROLES:
        await api.add_staff(role, role)
    return api, points


async def test_the_figures_for_every_role(seeded: tuple[Api, Seeded]) -> None:
    api, points = seeded
    for role in ROLES:
        response = await api.call(
            "GET", f"/api/v1/feedback-points/{points.food}/results", role, params=FEBRUARY
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["point"]["code"] == points.food
        assert body["period"] == {
            "from": "2026-02-01",
            "to": "2026-02-28",
            "timezone": "Europe/Kyiv",
        }
        assert (body["responses"], body["response_rate"]) == (12, 0.3)
        assert body["ratings"]["count"] == 2 and body["ratings"]["mean"] == 3.5
        scale, enough, sex, words = body["questions"]
        assert scale["labels"]["uk"] == "Наскільки ви задоволені?"
        assert [(b["key"], b["count"]) for b in scale["distribution"]] == [
            ("1", 1),
            ("2", 1),
            ("3", 1),
            ("4", 4),
            ("5", 3),
        ]
        assert (scale["mean"], scale["satisfied"], scale["share_satisfied"]) == (3.7, 7, 0.7)
        assert scale["crossings"] == [
            {
                "by": "sex",
                "demographic": "sex",
                "withheld": False,
                "rows": [
                    {
                        "key": "other",
                        "count": 10,
                        "mean": 3.7,
                        "share_satisfied": 0.7,
                        "members": ["female", "male"],
                    }
                ],
            }
        ]
        assert [(b["key"], b["count"], b["labels"]["en"]) for b in enough["distribution"]] == [
            ("yes", 5, "Yes"),
            ("no", 4, "No"),
        ]
        # Four men: below 5, so neither group is given alone, only the two together.
        assert [b["count"] for b in sex["distribution"]] == [None, None]
        assert sex["pool"] == {"members": ["female", "male"], "count": 12}
        assert words["answered"] == 2
        reads = role in ("operator", "focal_point")
        assert body["texts_shown"] is reads
        if reads:
            assert sorted(words["texts"]) == ["Дякую", "Черга"]
        else:
            assert words["texts"] is None


async def test_a_point_without_a_survey_unknown_codes_and_no_token(
    seeded: tuple[Api, Seeded],
) -> None:
    api, points = seeded
    response = await api.call(
        "GET", f"/api/v1/feedback-points/{points.cash.lower()}/results", "analyst", params=FEBRUARY
    )
    assert response.status_code == 200
    body = response.json()
    assert body["questions"] == [] and body["responses"] == 0
    assert body["ratings"]["distribution"] == {"1": 1, "2": 0, "3": 0, "4": 2, "5": 0}
    missing = await api.call("GET", "/api/v1/feedback-points/ZZZZZZ/results", "analyst")
    assert missing.status_code == 404
    assert (
        await api.call("GET", f"/api/v1/feedback-points/{points.food}/results")
    ).status_code == 401
    bad = await api.call(
        "GET",
        f"/api/v1/feedback-points/{points.food}/results",
        "analyst",
        params={"from": "2026-02-10", "to": "2026-02-01"},
    )
    assert bad.status_code == 422


async def test_the_responses_export(seeded: tuple[Api, Seeded], tmp_path: Path) -> None:
    api, points = seeded
    csv_response = await api.call(
        "GET",
        "/api/v1/export",
        "analyst",
        params={**FEBRUARY, "kind": "feedback_responses", "point": points.food, "lang": "uk"},
    )
    assert csv_response.status_code == 200, csv_response.text
    assert (
        f"holos-feedback-{points.food.lower()}-2026-02-01-2026-02-28.csv"
        in (csv_response.headers["content-disposition"])
    )
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == 12
    # Headers in Ukrainian; the survey's labels, a coded question's code beside it; no
    # text column for an analyst.
    assert header[:3] == ["№ відповіді", "Пункт відгуків", "Код пункту відгуків"]
    assert header[-6:] == [
        "Наскільки ви задоволені?",
        "satisfaction",
        "Чи було достатньо?",
        "enough",
        "Стать",
        "sex",
    ]
    xlsx = await api.call(
        "GET",
        "/api/v1/export",
        "operator",
        params={**FEBRUARY, "kind": "feedback_responses", "point": points.food, "format": "xlsx"},
    )
    assert xlsx.status_code == 200
    target = tmp_path / "responses.xlsx"
    target.write_bytes(xlsx.content)
    sheet = load_workbook(target).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-7:] == (
        "How satisfied?",
        "satisfaction",
        "Was it enough?",
        "enough",
        "Sex",
        "sex",
        "Anything else?",
    )
    first = dict(zip(values[0], values[1], strict=True))
    assert first["How satisfied?"] == 5 and first["Sex"] == "Female" and first["sex"] == "female"
    assert first["Anything else?"] == "Дякую"
    assert first["Language"] == "Russian" and first["Language code"] == "ru"
    events = [e for e in await audit_events(api.core) if e.action == "export.created"]
    assert [e.target for e in events] == ["export:feedback_responses"] * 2
    assert events[0].after is not None and events[0].after["filters"] == {"point": points.food}
    # A point must be named, and exist.
    nameless = await api.call(
        "GET", "/api/v1/export", "analyst", params={**FEBRUARY, "kind": "feedback_responses"}
    )
    assert nameless.status_code == 422
    unknown = await api.call(
        "GET",
        "/api/v1/export",
        "analyst",
        params={**FEBRUARY, "kind": "feedback_responses", "point": "ZZZZZZ"},
    )
    assert unknown.status_code == 404
