"""``/api/v1/export`` over HTTP on both engines: CSV parsed back equals the worklist,
XLSX opened with openpyxl (rows, types, headers per role), ratings, bad input, audit."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from storage.clock import FrozenClock
from tests.admin_api.helpers import ROLES, Api, audit_events
from tests.storage.helpers import content_snapshot
from tests.storage.stats_seed import seed

PERIOD = {"from": "2026-10-01", "to": "2026-11-30"}
# The same period as UTC instants, for the worklist (Kyiv: UTC+3 then UTC+2).
WORKLIST_PERIOD = {"created_from": "2026-09-30T21:00:00Z", "created_to": "2026-11-30T22:00:00Z"}


@pytest.fixture
async def seeded(api: Api, clock: FrozenClock) -> Api:
    await seed(api.core, clock)
    for role in ROLES:
        await api.add_staff(role, role)
    return api


def parse_csv(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


async def worklist(api: Api, who: str, **params: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    while True:
        query = {**WORKLIST_PERIOD, **params, "sort": "created", "limit": "2"}
        if cursor:
            query["cursor"] = cursor
        page = (await api.call("GET", "/api/v1/cases", who, params=query)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


@pytest.mark.parametrize("who", ["focal_point", "operator"])
async def test_csv_parsed_back_equals_the_worklist(seeded: Api, who: str) -> None:
    for filters in ({}, {"programme": "cash"}, {"status": "new"}, {"oblast": "UA-46"}):
        expected = await worklist(seeded, who, **filters)
        response = await seeded.call(
            "GET", "/api/v1/export", who, params={**PERIOD, **filters, "format": "csv"}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = parse_csv(response.content)
        assert [r["Reference"] for r in rows] == [i["ref"] for i in expected], filters
        for row, item in zip(rows, expected, strict=True):
            assert row["Category"] == item["category"]
            assert row["Status"] == item["status"]
            assert row["Priority"] == item["priority"]
            assert row["Oblast"] == item["oblast"]
            assert row["Programme"] == (item["programme"] or "")
            assert row["Sensitive"] == str(item["sensitive"]).lower()
            received = datetime.fromisoformat(row["Received (Kyiv time)"])
            assert received.tzinfo is None  # Kyiv wall clock, as the header says
    everything = parse_csv((await seeded.call("GET", "/api/v1/export", who, params=PERIOD)).content)
    assert len(everything) == (6 if who == "focal_point" else 5)


def open_xlsx(content: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(content))


async def test_xlsx_rows_types_and_headers_per_role(seeded: Api) -> None:
    sheets = {}
    for who in ("focal_point", "operator", "analyst", "admin"):
        response = await seeded.call(
            "GET", "/api/v1/export", who, params={**PERIOD, "format": "xlsx"}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml"
        )
        sheets[who] = open_xlsx(response.content).active

    def header(sheet) -> list[str]:  # type: ignore[no-untyped-def]
        return [c.value for c in sheet[1]]

    staff_only = {"Assignee", "Tags", "Contact", "Narrative"}
    assert staff_only <= set(header(sheets["focal_point"]))
    assert staff_only <= set(header(sheets["operator"]))
    for who in ("analyst", "admin"):
        assert not staff_only & set(header(sheets[who]))

    focal = sheets["focal_point"]
    assert focal.freeze_panes == "A2"
    assert focal.auto_filter.ref == f"A1:{focal.cell(1, focal.max_column).column_letter}7"
    assert focal.column_dimensions["B"].width >= len("Received (Kyiv time)")
    names = header(focal)
    rows = [dict(zip(names, (c.value for c in row), strict=True)) for row in focal.iter_rows(2)]
    assert len(rows) == 6
    first = rows[0]  # C: received 2026-10-01 00:00 Kyiv time
    assert first["Received (Kyiv time)"] == datetime(2026, 10, 1, 0, 0)
    assert isinstance(first["Resolved"], datetime)
    assert first["Sensitive"] is False
    assert first["Handling score"] == 4
    assert first["Acknowledgement SLA"] == "met_late"
    assert first["Narrative"] == "Видали менше продуктів, ніж у списку."
    sensitive = [r for r in rows if r["Sensitive"]]
    assert [r["Category"] for r in sensitive] == ["fraud_corruption"]
    assert sensitive[0]["Narrative"] is None  # never in bulk

    analyst_rows = list(sheets["analyst"].iter_rows(2, values_only=True))
    assert len(analyst_rows) == 6
    grouped = [r for r in analyst_rows if r[header(sheets["analyst"]).index("Sensitive")]]
    assert len(grouped) == 1
    index = header(sheets["analyst"]).index
    assert grouped[0][index("Category")] == "sensitive"
    assert grouped[0][index("Reference")] is None
    assert grouped[0][index("Priority")] is None
    assert len(list(sheets["operator"].iter_rows(2))) == 5
    assert len(list(sheets["admin"].iter_rows(2))) == 5


async def test_ukrainian_headers_and_ratings(seeded: Api) -> None:
    uk = await seeded.call(
        "GET", "/api/v1/export", "analyst", params={**PERIOD, "format": "xlsx", "lang": "uk"}
    )
    sheet = open_xlsx(uk.content).active
    assert [c.value for c in sheet[1]][:4] == [
        "Номер",
        "Отримано (за київським часом)",
        "Місяць",
        "Категорія",
    ]

    for who, has_comment in (("analyst", False), ("operator", True)):
        response = await seeded.call(
            "GET", "/api/v1/export", who, params={**PERIOD, "kind": "ratings"}
        )
        rows = parse_csv(response.content)
        assert [int(r["Score"]) for r in rows] == [5, 1, 2, 5]
        assert [r["Month"] for r in rows] == ["2026-10", "2026-10", "2026-11", "2026-11"]
        assert rows[1]["What went wrong"] == "respect;waiting_time"
        assert ("Comment" in rows[0]) is has_comment
    low = parse_csv(
        (
            await seeded.call(
                "GET",
                "/api/v1/export",
                "analyst",
                params={**PERIOD, "kind": "ratings", "score": ["1", "2"], "programme": "cash"},
            )
        ).content
    )
    assert [r["Score"] for r in low] == ["1", "2"]


async def test_every_export_is_audited(seeded: Api) -> None:
    await seeded.call(
        "GET", "/api/v1/export", "analyst", params={**PERIOD, "programme": "cash", "format": "xlsx"}
    )
    event = (await audit_events(seeded.core))[-1]
    assert event.action == "export.created"
    assert event.actor_name == "analyst"
    assert event.target == "export:cases"
    assert event.after is not None
    assert event.after["format"] == "xlsx"
    assert event.after["from"] == "2026-10-01"
    assert event.after["filters"] == {"programmes": ["cash"]}


async def test_bad_input_names_the_parameter(api: Api) -> None:
    await api.add_staff("analyst", "analyst")
    before = await content_snapshot(api.core)
    for params, named in (
        ({"format": "pdf"}, "format"),
        ({"kind": "people"}, "kind"),
        ({"lang": "fr"}, "lang"),
        ({"score": "6", "kind": "ratings"}, "score"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "to"),
        ({"programme": "space"}, "programme"),
        ({"colour": "red"}, "colour"),
    ):
        response = await api.call("GET", "/api/v1/export", "analyst", params=params)
        assert response.status_code == 422, (params, response.text)
        body = response.json()
        where = [issue["loc"][-1] for issue in body.get("errors", [])]
        assert named in where or named in body["detail"], body
    refused = await api.call(
        "GET", "/api/v1/export", "analyst", params={"category": "sexual_exploitation"}
    )
    assert refused.status_code == 403
    # Nothing written: not even an audit event for a refused export.
    assert await content_snapshot(api.core) == before
