"""Two-factor sign-in and the sign-in throttle over HTTP, on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import totp
from storage.clock import FrozenClock
from tests.admin_api.helpers import PASSWORD, Api
from tests.storage.helpers import make_staff, otp

V1 = "/api/v1"


async def test_the_token_endpoint_takes_the_code(api: Api, clock: FrozenClock) -> None:
    await make_staff(api.core, "fpoint", "focal_point")
    missing = await api.login("fpoint")
    assert missing.status_code == 401
    assert missing.json()["code"] == "otp_required"
    assert "otp" in missing.json()["detail"]
    # A wrong password and a wrong code: the same answer, word for word.
    wrong_password = await api.login("fpoint", "not-the-password", "123456")
    wrong_code = await api.login("fpoint", PASSWORD, "000000")
    assert wrong_password.status_code == wrong_code.status_code == 401
    assert wrong_password.json() == wrong_code.json()
    assert wrong_code.json()["code"] == "authentication_failed"
    code = await otp(api.core, "fpoint")
    assert code is not None
    first = await api.login("fpoint", PASSWORD, code)
    assert first.status_code == 200, first.text
    me = await api.http.get(
        f"{V1}/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"}
    )
    assert me.json()["username"] == "fpoint"
    replayed = await api.login("fpoint", PASSWORD, code)
    assert replayed.status_code == 401 and replayed.json() == wrong_code.json()


async def test_an_unenrolled_focal_point_or_admin_gets_no_token(api: Api) -> None:
    await make_staff(api.core, "fpoint", "focal_point", two_factor=False)
    await make_staff(api.core, "boss", "admin", two_factor=False)
    await make_staff(api.core, "oper", "operator")
    for name in ("fpoint", "boss"):
        response = await api.login(name)
        assert response.status_code == 403
        assert response.json()["code"] == "two_factor_enrolment_required"
        assert "holos user reset-2fa" in response.json()["detail"]
    # Enrolment is only revealed to the right password.
    assert (await api.login("fpoint", "not-the-password")).json()["code"] == (
        "authentication_failed"
    )
    assert (await api.login("oper")).status_code == 200


@pytest.mark.real_http  # the client address a server sees
async def test_failures_elsewhere_never_lock_the_right_person_out(
    api: Api, clock: FrozenClock
) -> None:
    await make_staff(api.core, "maria", "operator")
    api.core.settings.trusted_proxies = ["127.0.0.1/32"]
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(5):
        response = await api.http.post(
            f"{V1}/auth/token",
            data={"username": "maria", "password": "guess-guess-guess"},
            headers=attacker,
        )
        assert response.status_code == 401
    locked = await api.http.post(
        f"{V1}/auth/token", data={"username": "maria", "password": PASSWORD}, headers=attacker
    )
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    # The real Maria, behind the same proxy but from her own address.
    mine = await api.http.post(
        f"{V1}/auth/token",
        data={"username": "maria", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.4"},
    )
    assert mine.status_code == 200, mine.text


@pytest.mark.real_http  # the client address a server sees
async def test_forwarded_for_is_ignored_from_an_untrusted_peer(api: Api) -> None:
    await make_staff(api.core, "maria", "operator")
    assert api.core.settings.trusted_proxies == []
    for i in range(5):
        # Forging a new address each time does not escape the throttle.
        response = await api.http.post(
            f"{V1}/auth/token",
            data={"username": "maria", "password": "guess-guess-guess"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
        assert response.status_code == 401
    response = await api.http.post(
        f"{V1}/auth/token",
        data={"username": "maria", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.4"},
    )
    assert response.status_code == 429


async def test_focal_points_are_not_appointed_through_the_api(staffed: Api) -> None:
    create = await staffed.call(
        "POST",
        f"{V1}/users",
        "admin",
        json={
            "username": "newfp",
            "password": "correct horse battery staple",
            "role": "focal_point",
        },
    )
    assert create.status_code == 403
    assert create.json()["code"] == "focal_point_command_line_only"
    assert "holos user" in create.json()["detail"]
    operator_id = staffed.actors["operator"].user_id
    raise_ = await staffed.call(
        "PATCH", f"{V1}/users/{operator_id}", "admin", json={"role": "focal_point"}
    )
    assert raise_.status_code == 403
    assert raise_.json()["code"] == "focal_point_command_line_only"
    listed = (await staffed.call("GET", f"{V1}/users", "admin")).json()["items"]
    assert [u["role"] for u in listed if u["id"] == operator_id] == ["operator"]
    # Who has two-factor sign-in: the focal point and the admin, not the operator.
    enrolled = {u["username"] for u in listed if u["two_factor_since"] is not None}
    assert enrolled == {"focal_point", "admin"}
    assert "newfp" not in [u["username"] for u in listed]


async def test_a_code_from_the_next_step_is_accepted_once(api: Api, clock: FrozenClock) -> None:
    await make_staff(api.core, "boss", "admin")
    first = await otp(api.core, "boss")
    assert (await api.login("boss", PASSWORD, first)).status_code == 200
    clock.advance(timedelta(seconds=totp.STEP_SECONDS))
    second = await otp(api.core, "boss")
    assert second != first
    assert (await api.login("boss", PASSWORD, second)).status_code == 200
