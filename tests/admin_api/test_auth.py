"""Signing in and out, and "who am I"."""

from __future__ import annotations

from tests.admin_api.helpers import PASSWORD, Api
from tests.storage.helpers import dump_rows, dump_text, otp


async def test_sign_in_gives_a_random_expiring_token_stored_only_hashed(api: Api) -> None:
    await api.add_staff("maria", "focal_point", sign_in=False)
    first = await api.login("maria", PASSWORD, await otp(api.core, "maria"))
    second = await api.login("maria", PASSWORD, await otp(api.core, "maria"))
    assert first.status_code == second.status_code == 200
    body = first.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == int(api.core.settings.api_token_ttl_hours * 3600)
    assert len(body["access_token"]) >= 40
    assert body["access_token"] != second.json()["access_token"]
    assert first.headers["Cache-Control"] == "no-store"
    stored = dump_text(await dump_rows(api.core))
    for token in (body["access_token"], second.json()["access_token"]):
        assert token not in stored
    assert PASSWORD not in stored


async def test_who_am_i(staffed: Api) -> None:
    api = staffed
    expected = {
        "operator": (True, False, False, False),
        "focal_point": (True, True, False, True),
        "analyst": (False, False, False, False),
        "admin": (False, False, True, True),
    }
    for role, (cases, sensitive, users, audit) in expected.items():
        me = (await api.call("GET", "/api/v1/me", role)).json()
        assert me["username"] == role and me["role"] == role
        assert me["id"] == api.actors[role].user_id
        assert me["permissions"] == {
            "cases": cases,
            "sensitive_cases": sensitive,
            "users": users,
            "audit": audit,
        }
        assert me["token_expires_at"] == "2026-03-02T21:00:00Z"


async def test_sign_out_ends_only_this_token(api: Api) -> None:
    await api.add_staff("maria", "operator", sign_in=False)
    await api.sign_in("laptop", "maria")
    await api.sign_in("phone", "maria")
    assert (await api.call("POST", "/api/v1/auth/logout", "laptop")).status_code == 204
    assert (await api.call("GET", "/api/v1/me", "laptop")).status_code == 401
    assert (await api.call("GET", "/api/v1/me", "phone")).status_code == 200


async def test_changing_a_role_ends_the_accounts_tokens(staffed: Api) -> None:
    api = staffed
    operator = api.actors["operator"].user_id
    response = await api.call(
        "PATCH", f"/api/v1/users/{operator}", "admin", json={"role": "analyst"}
    )
    assert response.status_code == 200 and response.json()["role"] == "analyst"
    assert (await api.call("GET", "/api/v1/cases", "operator")).status_code == 401
    await api.sign_in("operator", "operator")
    assert (await api.call("GET", "/api/v1/cases", "operator")).status_code == 403
    listed = (await api.call("GET", "/api/v1/users", "admin")).json()["items"]
    assert [u["username"] for u in listed] == ["operator", "focal_point", "analyst", "admin"]
    assert all("password" not in key for user in listed for key in user)
