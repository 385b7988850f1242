"""Bad input gets a clear answer and loses nothing.

Each row sends something wrong and names the status and ``code`` it must get; after
each, every table of the database must be exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from storage.clock import FrozenClock
from storage.models import StaffUser
from storage.repositories.staff import StaffRepository
from tests.admin_api.helpers import PASSWORD, UNKNOWN_REF, Api, attachment_id, submit_with_file
from tests.storage.helpers import content_snapshot, make_staff, submit, tampered_cursor

V1 = "/api/v1"
SECRET = "Tr0ub4dor&3-do-not-echo"


@dataclass
class Bad:
    name: str
    method: str
    path: str
    who: str | None
    status: int
    code: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    # Something the answer must mention (e.g. the statuses a case can go to).
    mentions: tuple[str, ...] = ()


async def check_rows(api: Api, rows: list[Bad]) -> None:
    before = await content_snapshot(api.core)
    failures: list[str] = []
    for row in rows:
        response = await api.call(row.method, row.path, row.who, **row.kwargs)
        body = response.json()
        got = (response.status_code, body.get("code"))
        if got != (row.status, row.code):
            failures.append(f"{row.name}: got {got} {body}, expected {(row.status, row.code)}")
            continue
        if set(body) - {"code", "detail", "errors"} or not body["detail"]:
            failures.append(f"{row.name}: not an error body: {body}")
        for word in row.mentions:
            if word not in body["detail"]:
                failures.append(f"{row.name}: {body['detail']!r} does not mention {word!r}")
        if SECRET in response.text:
            failures.append(f"{row.name}: the answer echoes what was sent")
        if await content_snapshot(api.core) != before:
            failures.append(f"{row.name}: the database changed")
            before = await content_snapshot(api.core)
    assert not failures, "\n".join(failures)


async def prepared(api: Api) -> dict[str, Any]:
    std = await submit_with_file(api.core)
    sens = await submit_with_file(api.core, category="fraud_corruption", narrative="хабар")
    disabled = await api.add_staff("disabled-op", "operator", sign_in=False)
    response = await api.call(
        "PATCH", f"{V1}/users/{disabled.user_id}", "admin", json={"is_active": False}
    )
    assert response.status_code == 200
    for who in ("operator", "focal_point", "admin"):
        # A token's first use is recorded; later uses (same minute) are not.
        assert (await api.call("GET", f"{V1}/me", who)).status_code == 200
    return {
        "std": std.ref,
        "sens": sens.ref,
        "sens_file": await attachment_id(api.core, sens.ref),
        "disabled": disabled.user_id,
    }


def patch(path: str, body: Any = None, *, if_match: str | None = '"1"', **kw: Any) -> dict:
    headers = {"If-Match": if_match} if if_match is not None else {}
    if isinstance(body, bytes):
        return {"content": body, "headers": {**headers, "Content-Type": "application/json"}}
    return {"json": body, "headers": headers, **kw}


async def test_bad_case_changes(staffed: Api) -> None:
    api = staffed
    ids = await prepared(api)
    std, sens = f"{V1}/cases/{ids['std']}", f"{V1}/cases/{ids['sens']}"
    analyst = api.actors["analyst"].user_id
    operator = api.actors["operator"].user_id
    rows = [
        Bad("malformed JSON", "PATCH", std, "operator", 422, "validation_error",
            patch(std, b'{"status": "acknowledged"')),
        Bad("not UTF-8", "PATCH", std, "operator", 422, "validation_error",
            patch(std, b'{"status": "\xff\xfe"}')),
        Bad("unknown field", "PATCH", std, "operator", 422, "validation_error",
            patch(std, {"narrative": SECRET})),
        Bad("wrong type", "PATCH", std, "operator", 422, "validation_error",
            patch(std, {"priority": 3})),
        Bad("unknown status", "PATCH", std, "operator", 422, "validation_error",
            patch(std, {"status": "done"})),
        Bad("tags not a list", "PATCH", std, "operator", 422, "validation_error",
            patch(std, {"tags": "cash"})),
        Bad("bad tag", "PATCH", std, "operator", 422, "invalid_tag",
            patch(std, {"tags": ["no spaces please"]})),
        Bad("NUL in a tag", "PATCH", std, "operator", 422, "validation_error",
            patch(std, {"tags": ["a\x00b"]})),
        Bad("id out of range", "PATCH", std, "operator", 422, "validation_error",
            patch(std, {"assignee_id": 2**40})),
        Bad("body not an object", "PATCH", std, "operator", 422, "validation_error",
            patch(std, ["status"])),
        Bad("no If-Match", "PATCH", std, "operator", 428, "if_match_required",
            patch(std, {"status": "acknowledged"}, if_match=None)),
        Bad("malformed If-Match", "PATCH", std, "operator", 422, "validation_error",
            patch(std, {"status": "acknowledged"}, if_match='"one"')),
        Bad("stale If-Match", "PATCH", std, "operator", 412, "stale_version",
            patch(std, {"status": "acknowledged"}, if_match='"7"'), mentions=("version 1",)),
        Bad("illegal transition", "PATCH", std, "operator", 409, "illegal_transition",
            patch(std, {"status": "closed"}), mentions=("acknowledged",)),
        Bad("assignee without case work", "PATCH", std, "operator", 409,
            "assignee_cannot_see_case", patch(std, {"assignee_id": analyst})),
        Bad("assignee who cannot see sensitive", "PATCH", sens, "focal_point", 409,
            "assignee_cannot_see_case", patch(sens, {"assignee_id": operator})),
        Bad("disabled assignee", "PATCH", std, "operator", 409, "assignee_cannot_see_case",
            patch(std, {"assignee_id": ids["disabled"]})),
        Bad("no such assignee", "PATCH", std, "operator", 409, "assignee_cannot_see_case",
            patch(std, {"assignee_id": 999_999})),
        Bad("no such case", "PATCH", f"{V1}/cases/{UNKNOWN_REF}", "operator", 404,
            "case_not_found", patch(std, {"status": "acknowledged"})),
        Bad("sensitive, for an operator", "PATCH", sens, "operator", 404, "case_not_found",
            patch(sens, {"status": "acknowledged"})),
        # 412 would tell the operator the case exists.
        Bad("sensitive, stale If-Match", "PATCH", sens, "operator", 404, "case_not_found",
            patch(sens, {"status": "acknowledged"}, if_match='"9"')),
        Bad("not a ref", "GET", f"{V1}/cases/drop%20table", "operator", 422,
            "validation_error"),
        Bad("role without case work, bad body", "PATCH", std, "analyst", 403, "forbidden",
            patch(std, {"status": "nonsense"})),
        # Notes and replies.
        Bad("empty note", "POST", f"{std}/notes", "operator", 422, "validation_error",
            {"json": {"text": ""}}),
        Bad("blank note", "POST", f"{std}/notes", "operator", 422, "empty_text",
            {"json": {"text": "   \n "}}),
        Bad("NUL in a note", "POST", f"{std}/notes", "operator", 422, "validation_error",
            {"json": {"text": "a\x00b"}}),
        Bad("lone surrogate", "POST", f"{std}/notes", "operator", 422, "validation_error",
            {"content": b'{"text": "a\\ud800b"}',
             "headers": {"Content-Type": "application/json"}}),
        Bad("note too long", "POST", f"{std}/notes", "operator", 422, "validation_error",
            {"json": {"text": "x" * 10_001}}),
        Bad("note on a hidden case", "POST", f"{sens}/notes", "operator", 404,
            "case_not_found", {"json": {"text": "hello"}}),
        Bad("reply in no language", "POST", f"{std}/replies", "operator", 422,
            "validation_error", {"json": {"texts": {}}}),
        Bad("reply in German", "POST", f"{std}/replies", "operator", 422, "validation_error",
            {"json": {"texts": {"de": "Danke"}}}),
        Bad("blank reply", "POST", f"{std}/replies", "operator", 422, "empty_text",
            {"json": {"texts": {"uk": "  "}}}),
        Bad("file of a hidden case", "GET", f"{sens}/attachments/{ids['sens_file']}",
            "operator", 404, "case_not_found"),
        Bad("file of another case", "GET", f"{std}/attachments/{ids['sens_file']}",
            "focal_point", 404, "attachment_not_found"),
    ]  # fmt: skip
    await check_rows(api, rows)


async def test_bad_worklist_and_audit_queries(staffed: Api) -> None:
    api = staffed
    await prepared(api)
    await submit(api.core, narrative="Another one")
    first = (await api.call("GET", f"{V1}/cases", "operator", params={"limit": 1})).json()
    cursor = first["next_cursor"]
    assert cursor
    tampered = tampered_cursor(cursor)
    audit = (await api.call("GET", f"{V1}/audit", "admin", params={"limit": 1})).json()
    cases = f"{V1}/cases"
    rows = [
        Bad("tampered cursor", "GET", cases, "operator", 422, "invalid_cursor",
            {"params": {"limit": 1, "cursor": tampered}}),
        Bad("garbage cursor", "GET", cases, "operator", 422, "invalid_cursor",
            {"params": {"cursor": "%%%not-base64"}}),
        Bad("cursor of another query", "GET", cases, "operator", 422, "invalid_cursor",
            {"params": {"limit": 1, "cursor": cursor, "language": "uk"}}),
        Bad("cursor of another reader", "GET", cases, "focal_point", 422, "invalid_cursor",
            {"params": {"limit": 1, "cursor": cursor}}),
        Bad("tampered audit cursor", "GET", f"{V1}/audit", "admin", 422, "invalid_cursor",
            {"params": {"cursor": tampered_cursor(audit["next_cursor"])}}),
        Bad("unknown filter", "GET", cases, "operator", 422, "validation_error",
            {"params": {"statuss": "new"}}),
        Bad("unknown status", "GET", cases, "operator", 422, "validation_error",
            {"params": {"status": "open"}}),
        Bad("unknown oblast", "GET", cases, "operator", 422, "unknown_oblast",
            {"params": {"oblast": "UA-99"}}),
        Bad("unknown category", "GET", cases, "operator", 422, "unknown_category",
            {"params": {"category": "weather"}}),
        Bad("unknown programme", "GET", cases, "operator", 422, "unknown_programme",
            {"params": {"programme": "space"}}),
        Bad("unknown sort", "GET", cases, "operator", 422, "validation_error",
            {"params": {"sort": "narrative"}}),
        Bad("limit 0", "GET", cases, "operator", 422, "validation_error",
            {"params": {"limit": 0}}),
        Bad("bad assignee", "GET", cases, "operator", 422, "validation_error",
            {"params": {"assignee": "everyone"}}),
        Bad("naive time", "GET", cases, "operator", 422, "validation_error",
            {"params": {"created_from": "2026-03-01T00:00:00"}}),
        Bad("time out of range", "GET", cases, "operator", 422, "validation_error",
            {"params": {"created_to": "9999-12-31T23:59:59-23:59"}}),
        Bad("bad tag filter", "GET", cases, "operator", 422, "validation_error",
            {"params": {"tag": "a b"}}),
        Bad("audit of a bad ref", "GET", f"{V1}/audit", "admin", 422, "validation_error",
            {"params": {"case_ref": "x"}}),
    ]  # fmt: skip
    await check_rows(api, rows)


async def test_bad_accounts_and_secrets_never_echoed(staffed: Api) -> None:
    api = staffed
    ids = await prepared(api)
    users = f"{V1}/users"
    good = {"username": "nadia", "password": PASSWORD, "role": "operator"}
    rows = [
        Bad("short password", "POST", users, "admin", 422, "validation_error",
            {"json": {**good, "password": SECRET[:8]}}),
        Bad("password too long", "POST", users, "admin", 422, "validation_error",
            {"json": {**good, "password": SECRET * 100}}),
        Bad("unknown field", "POST", users, "admin", 422, "validation_error",
            {"json": {**good, "password_hint": SECRET}}),
        Bad("unknown role", "POST", users, "admin", 422, "validation_error",
            {"json": {**good, "role": "root", "password": SECRET}}),
        Bad("bad username", "POST", users, "admin", 422, "invalid_username",
            {"json": {**good, "username": "has spaces"}}),
        Bad("taken username", "POST", users, "admin", 409, "duplicate_username",
            {"json": {**good, "username": "OPERATOR"}}),
        Bad("no such account", "GET", f"{users}/999999", "admin", 404, "user_not_found"),
        Bad("change no such account", "PATCH", f"{users}/999999", "admin", 404,
            "user_not_found", {"json": {"display_name": "x"}}),
        Bad("disable yourself", "PATCH", f"{users}/{api.actors['admin'].user_id}", "admin",
            403, "forbidden", {"json": {"is_active": False}}),
        Bad("weak new password", "PATCH", f"{users}/{ids['disabled']}", "admin", 422,
            "validation_error", {"json": {"password": SECRET[:5]}}),
        Bad("sign in with a bad form", "POST", f"{V1}/auth/token", None, 422,
            "validation_error", {"data": {"username": "operator", "password": SECRET,
                                          "grant_type": "client_credentials"}}),
        Bad("sign in with JSON", "POST", f"{V1}/auth/token", None, 422, "validation_error",
            {"json": {"username": "operator", "password": SECRET}}),
        Bad("sign in with a NUL", "POST", f"{V1}/auth/token", None, 422, "validation_error",
            {"data": {"username": "oper\x00ator", "password": SECRET}}),
    ]  # fmt: skip
    await check_rows(api, rows)


@pytest.mark.real_http  # bodies as a server receives them, chunked
async def test_oversized_bodies_are_refused_before_anything_is_read(staffed: Api) -> None:
    api = staffed
    ids = await prepared(api)
    limit = api.core.settings.api_max_body_bytes
    note = {"text": "x" * (limit + 10)}
    path = f"{V1}/cases/{ids['std']}/notes"

    async def streamed() -> Any:
        # No Content-Length: sent chunked, counted as it arrives.
        for _ in range(limit // 1000 + 2):
            yield b"x" * 1000

    rows = [
        Bad("declared too large", "POST", path, "operator", 413, "payload_too_large",
            {"json": note}),
        Bad("streamed too large", "POST", path, "operator", 413, "payload_too_large",
            {"content": streamed(), "headers": {"Content-Type": "application/json"}}),
        Bad("too large, even for a stranger", "POST", f"{V1}/auth/token", None, 413,
            "payload_too_large", {"data": {"username": "x", "password": "y" * limit}}),
    ]  # fmt: skip
    await check_rows(api, rows)
    # Just under the limit is fine (and is stored).
    response = await api.call("POST", path, "operator", json={"text": "fine"})
    assert response.status_code == 201


async def test_expired_revoked_and_disabled_tokens(staffed: Api, clock: FrozenClock) -> None:
    api = staffed
    await prepared(api)
    revoked = await api.sign_in("revoked", "operator")
    assert (await api.call("POST", f"{V1}/auth/logout", "revoked")).status_code == 204
    await make_staff(api.core, "leaving", "focal_point")
    await api.sign_in("leaving", "leaving")
    leaving_id = (await api.call("GET", f"{V1}/me", "leaving")).json()["id"]
    # Disabled directly in storage, so the token itself is not revoked: the account is.
    async with api.core.database.transaction() as session:
        user = await session.get(StaffUser, leaving_id)
        assert user is not None
        user.is_active = False
    api.tokens["garbage"] = "not-a-token"
    rows = [
        Bad("no token", "GET", f"{V1}/me", None, 401, "not_authenticated"),
        Bad("unknown token", "GET", f"{V1}/me", "garbage", 401, "invalid_token"),
        Bad("revoked token", "GET", f"{V1}/cases", "revoked", 401, "invalid_token"),
        Bad("revoked, signing out", "POST", f"{V1}/auth/logout", "revoked", 401,
            "invalid_token"),
        Bad("disabled account", "GET", f"{V1}/cases", "leaving", 401, "invalid_token"),
    ]  # fmt: skip
    assert revoked
    await check_rows(api, rows)
    response = await api.call("GET", f"{V1}/me", "revoked")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")

    ttl = timedelta(hours=api.core.settings.api_token_ttl_hours)
    clock.advance(ttl - timedelta(seconds=1))
    assert (await api.call("GET", f"{V1}/me", "operator")).status_code == 200
    clock.advance(timedelta(seconds=1))
    await check_rows(
        api, [Bad("expired token", "GET", f"{V1}/cases", "operator", 401, "invalid_token")]
    )


async def test_failed_sign_ins_are_counted_then_slowed_down(api: Api, clock: FrozenClock) -> None:
    await make_staff(api.core, "maria", "operator")
    for attempt in range(1, 6):
        response = await api.login("maria", "wrong-password-" + SECRET)
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "authentication_failed"
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert SECRET not in response.text
        # Committed before the 401: the count survives the failed request.
        async with api.core.database.transaction() as session:
            user = await StaffRepository(session).get_by_username("maria")
            assert user is not None and user.failed_logins == attempt
    before = await content_snapshot(api.core)
    response = await api.login("maria", PASSWORD)  # even the right password must wait
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 2
    assert await content_snapshot(api.core) == before
    clock.advance(timedelta(seconds=int(response.headers["Retry-After"]) + 1))
    assert (await api.login("maria", PASSWORD)).status_code == 200
    metrics = await api.scrape()
    for outcome, count in (("failure", 5), ("throttled", 1), ("success", 1)):
        assert f'holos_api_sign_ins_total{{outcome="{outcome}"}} {count}.0' in metrics
    assert "maria" not in metrics


async def test_an_unknown_user_fails_like_a_wrong_password(api: Api) -> None:
    await make_staff(api.core, "maria", "operator")
    unknown = await api.login("nobody", PASSWORD)
    wrong = await api.login("maria", "not-the-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
