"""Every role against every endpoint, for a standard and a sensitive case (docs/staff-and-cases.md).

One table, one sign-in per role: each row names a request and the exact status each of
operator, focal point, analyst, admin and a caller without a token must get.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.admin_api.helpers import (
    PASSWORD,
    ROLES,
    UNKNOWN_REF,
    Api,
    attachment_id,
    submit_with_file,
    version_of,
)
from tests.storage.helpers import otp

WHO = (*ROLES, None)  # None: no token at all


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    # operator, focal_point, analyst, admin, anonymous
    expected: tuple[int, int, int, int, int]
    body: dict[str, Any] | None = None
    if_match_of: str | None = None  # send If-Match with this case's current version


async def test_role_matrix(staffed: Api) -> None:
    api = staffed
    std = await submit_with_file(api.core)
    sens = await submit_with_file(api.core, category="sexual_exploitation", narrative="домагання")
    std_file = await attachment_id(api.core, std.ref)
    sens_file = await attachment_id(api.core, sens.ref)
    op_id = api.actors["operator"].user_id
    v1 = "/api/v1"

    case_rows: list[Row] = []
    for ref, file_id, on_sensitive in ((std.ref, std_file, False), (sens.ref, sens_file, True)):
        # An operator must not learn that a sensitive case exists: 404, as for no case.
        operator = 404 if on_sensitive else None
        read = (operator or 200, 200, 403, 403, 401)
        create = (operator or 201, 201, 403, 403, 401)
        case_rows += [
            Row("GET", f"{v1}/cases/{ref}", read),
            Row("PATCH", f"{v1}/cases/{ref}", read, {"priority": "high"}, if_match_of=ref),
            Row("POST", f"{v1}/cases/{ref}/notes", create, {"text": "Called the distributor."}),
            Row("POST", f"{v1}/cases/{ref}/replies", create, {"texts": {"uk": "Дякуємо."}}),
            Row("GET", f"{v1}/cases/{ref}/events", read),
            Row("GET", f"{v1}/cases/{ref}/attachments/{file_id}", read),
        ]
    rows = [
        Row("GET", f"{v1}/me", (200, 200, 200, 200, 401)),
        Row("GET", f"{v1}/cases", (200, 200, 403, 403, 401)),
        *case_rows,
        Row("GET", f"{v1}/cases/{UNKNOWN_REF}", (404, 404, 403, 403, 401)),
        Row("GET", f"{v1}/cases/{std.ref}/attachments/{sens_file}", (404, 404, 403, 403, 401)),
        Row("GET", f"{v1}/users", (403, 403, 403, 200, 401)),
        Row("GET", f"{v1}/users/{op_id}", (403, 403, 403, 200, 401)),
        Row("PATCH", f"{v1}/users/{op_id}", (403, 403, 403, 200, 401), {"display_name": "Olena"}),
        Row("GET", f"{v1}/audit", (403, 200, 403, 200, 401)),
        Row("GET", f"{v1}/reply-templates", (200, 200, 403, 200, 401)),
        Row("GET", f"{v1}/feedback-points", (200, 200, 200, 200, 401)),
        Row("GET", f"{v1}/feedback-points/ZZZZZZ", (404, 404, 404, 404, 401)),
        Row(
            "POST",
            f"{v1}/cases/bulk",
            (200, 200, 403, 403, 401),
            {"cases": [{"ref": std.ref, "version": 1}], "action": "tag", "tag": "seen"},
        ),
        Row("GET", "/healthz", (200, 200, 200, 200, 200)),
        Row("GET", "/readyz", (200, 200, 200, 200, 200)),
        Row("GET", f"{v1}/feedback-points/ZZZZZZ/results", (404, 404, 404, 404, 401)),
        # Metrics have their own listener; the docs are off outside the sandbox.
        Row("GET", "/metrics", (404, 404, 404, 404, 404)),
        Row("GET", "/openapi.json", (200, 200, 200, 200, 200)),
        Row("GET", "/docs", (404, 404, 404, 404, 404)),
    ]

    mismatches: list[str] = []
    not_found_bodies: set[str] = set()

    async def run(row: Row, who: str | None, expected: int, body: Any) -> None:
        headers = {}
        if row.if_match_of is not None:
            headers["If-Match"] = f'"{await version_of(api.core, row.if_match_of)}"'
        response = await api.call(row.method, row.path, who, json=body, headers=headers)
        if response.status_code != expected:
            mismatches.append(
                f"{row.method} {row.path} as {who}: {response.status_code}, expected {expected}"
            )
        if (
            response.status_code == 404
            and row.path.startswith(f"{v1}/cases/")
            and "/attachments/" not in row.path
        ):
            not_found_bodies.add(response.json()["code"])

    for row in rows:
        for who, expected in zip(WHO, row.expected, strict=True):
            await run(row, who, expected, row.body)

    # Signing in: each role with its own password; the caller without a token, with a
    # wrong one. Then creating accounts, and signing out, last.
    for who, expected in zip(WHO, (200, 200, 200, 200, 401), strict=True):
        form = {"username": who or "admin", "password": PASSWORD if who else "wrong-password"}
        code = await otp(api.core, who) if who else None
        if code is not None:  # focal points and admins sign in with a code too
            form["otp"] = code
        response = await api.http.post(f"{v1}/auth/token", data=form)
        if response.status_code != expected:
            mismatches.append(f"POST {v1}/auth/token as {who}: {response.status_code}")
    for who, expected in zip(WHO, (403, 403, 403, 201, 401), strict=True):
        body = {"username": f"new-{who}", "password": "another-long-password", "role": "analyst"}
        await run(Row("POST", f"{v1}/users", (0, 0, 0, 0, 0)), who, expected, body)
    for who, expected in zip(WHO, (204, 204, 204, 204, 401), strict=True):
        await run(Row("POST", f"{v1}/auth/logout", (0, 0, 0, 0, 0)), who, expected, None)
    # A signed-out token is refused everywhere.
    for who in ROLES:
        await run(Row("GET", f"{v1}/me", (0, 0, 0, 0, 0)), who, 401, None)

    assert not mismatches, "\n".join(mismatches)
    # A hidden sensitive case and a missing case answer alike.
    assert not_found_bodies == {"case_not_found"}
