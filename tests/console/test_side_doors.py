"""The sealed channel has no side doors (issue 18 §4), over HTTP on both engines.

The attack found in review: after ``holos user reset-2fa fpoint --later`` an
administrator set the focal point's password (``PATCH /api/v1/users/{id}``), signed in
as them, enrolled their own authenticator at the "first sign-in" and read a sealed
narrative. And a pending enrolment secret was one per account, so whoever had only
*seen* the enrolment page still held a working code after the real person enrolled.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import totp
from storage.access import Actor
from storage.clock import FrozenClock
from storage.repositories.staff import StaffRepository
from storage.services.two_factor import TwoFactor
from tests.console.http_client import (
    PASSWORD,
    Browser,
    ServedConsole,
    alert_of,
    csrf_of,
    secret_of,
)
from tests.storage.helpers import make_staff, otp, submit

NARRATIVE = "Він вимагав плату за допомогу"
CHOSEN = "the-admin-chose-this-one"


async def reset_later(served: ServedConsole, username: str) -> int:
    """What ``holos user reset-2fa NAME --later`` does; the account's id."""
    core = served.core
    async with core.database.transaction() as session:
        user = await StaffRepository(session).get_by_username(username)
        assert user is not None
        await TwoFactor(session, core).reset(Actor.system(), user, reason="command_line")
        return user.id


async def api_token(browser: Browser, core_username: str, code: str | None) -> str:
    data = {"username": core_username, "password": PASSWORD}
    if code is not None:
        data["otp"] = code
    response = await browser.http.post("/api/v1/auth/token", data=data)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def signed_in_admin(served: ServedConsole) -> tuple[Browser, str]:
    """An administrator with both an API token and a console session."""
    await make_staff(served.core, "boss", "admin")
    browser = await served.browser()
    token = await api_token(browser, "boss", await otp(served.core, "boss"))
    assert (await browser.password("boss")).status_code == 303
    await browser.step()
    code = await otp(served.core, "boss")
    assert code is not None
    assert (await browser.code(code)).status_code == 303
    return browser, token


@pytest.mark.parametrize("reset_first", [True, False])
async def test_an_admin_cannot_set_a_focal_points_password(
    served: ServedConsole, reset_first: bool
) -> None:
    core = served.core
    await make_staff(core, "fpoint", "focal_point")
    case = await submit(core, category="sexual_exploitation", narrative=NARRATIVE)
    admin, token = await signed_in_admin(served)
    async with core.database.transaction() as session:
        user = await StaffRepository(session).get_by_username("fpoint")
        assert user is not None
        fpoint_id = user.id
    if reset_first:
        await reset_later(served, "fpoint")
    bearer = {"Authorization": f"Bearer {token}"}

    # The API: refused with its own code, whatever else the request changes.
    for body in ({"password": CHOSEN}, {"password": CHOSEN, "display_name": "FP"}):
        refused = await admin.http.patch(f"/api/v1/users/{fpoint_id}", json=body, headers=bearer)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "password_command_line_only"
        assert "holos user set-password" in refused.json()["detail"]
    # The console's staff page: no such form for a focal point, and a forged one refused.
    staff = await admin.get("/console/staff")
    assert f'id="pw-{fpoint_id}"' not in staff.text
    forged = await admin.post(
        f"/console/staff/{fpoint_id}", {"password": CHOSEN, "csrf": csrf_of(staff.text)}
    )
    assert forged.status_code == 403
    assert "command line" in alert_of(forged.text)

    # So the administrator's password opens nothing: no enrolment of their own
    # authenticator, no sealed narrative.
    attacker = await served.browser()
    assert (await attacker.password("fpoint", CHOSEN)).status_code == 401
    # The focal point's own password is unchanged, and only the focal point reads.
    person = await served.browser()
    assert (await person.password("fpoint")).status_code == 303
    if not reset_first:
        await person.step()
        code = await otp(core, "fpoint")
        assert code is not None and (await person.code(code)).status_code == 303
        assert NARRATIVE in (await person.get(f"/console/cases/{case.ref}")).text


async def test_only_the_command_line_grants_the_admin_role(served: ServedConsole) -> None:
    """An administrator may not make another administrator either: a new admin's first
    sign-in would enrol whoever knows the password the creating admin chose."""
    await make_staff(served.core, "oper", "operator")
    admin, token = await signed_in_admin(served)
    bearer = {"Authorization": f"Bearer {token}"}
    created = await admin.http.post(
        "/api/v1/users",
        json={"username": "shadow", "password": "another-long-password", "role": "admin"},
        headers=bearer,
    )
    assert created.status_code == 403
    assert created.json()["code"] == "admin_command_line_only"
    users = (await admin.http.get("/api/v1/users", headers=bearer)).json()["items"]
    oper_id = next(u["id"] for u in users if u["username"] == "oper")
    promoted = await admin.http.patch(
        f"/api/v1/users/{oper_id}", json={"role": "admin"}, headers=bearer
    )
    assert promoted.status_code == 403
    assert promoted.json()["code"] == "admin_command_line_only"
    users = (await admin.http.get("/api/v1/users", headers=bearer)).json()["items"]
    assert {u["username"]: u["role"] for u in users} == {"oper": "operator", "boss": "admin"}
    # An operator's password is still the administrator's to set.
    changed = await admin.http.patch(
        f"/api/v1/users/{oper_id}", json={"password": "violet tractor wanders"}, headers=bearer
    )
    assert changed.status_code == 200


async def test_a_pending_secret_belongs_to_the_session_that_showed_it(
    served: ServedConsole, clock: FrozenClock
) -> None:
    core = served.core
    await make_staff(core, "fpoint", "focal_point", two_factor=False)
    # Someone who knows the password (or looks over a shoulder) opens the enrolment page.
    onlooker = await served.browser()
    assert (await onlooker.password("fpoint")).status_code == 303
    seen = secret_of((await onlooker.step()).text)
    # The focal point signs in and enrols: with a secret of their own.
    person = await served.browser()
    assert (await person.password("fpoint")).status_code == 303
    page = await person.step()
    shown = secret_of(page.text)
    assert shown != seen
    # A reload of one's own page keeps one's own secret (the app may have scanned it).
    assert secret_of((await person.step()).text) == shown
    # The onlooker's secret does not confirm the person's enrolment …
    assert (await person.code(totp.code_at(seen, core.clock.now()))).status_code == 401
    done = await person.code(totp.code_at(shown, core.clock.now()))
    assert done.status_code == 200 and "recovery-codes" in done.text

    # … and is worth nothing afterwards: not at the API, not in the console.
    clock.advance(timedelta(seconds=totp.STEP_SECONDS))
    stolen = totp.code_at(seen, core.clock.now())
    refused = await onlooker.http.post(
        "/api/v1/auth/token", data={"username": "fpoint", "password": PASSWORD, "otp": stolen}
    )
    assert refused.status_code == 401
    # The onlooker's half-finished sign-in ended with the enrolment.
    assert (await onlooker.step()).status_code == 303
    again = await served.browser()
    assert (await again.password("fpoint")).status_code == 303
    await again.step()
    assert (await again.code(stolen)).status_code == 401
    # The person's own app works.
    mine = totp.code_at(shown, core.clock.now())
    accepted = await again.http.post(
        "/api/v1/auth/token", data={"username": "fpoint", "password": PASSWORD, "otp": mine}
    )
    assert accepted.status_code == 200


async def test_a_pending_secret_expires_after_ten_minutes(
    served: ServedConsole, clock: FrozenClock
) -> None:
    """At the first sign-in the step itself lasts as long as its secret; an enrolment
    chosen from a signed-in session draws a new secret once the old one is stale."""
    core = served.core
    await make_staff(core, "fpoint", "focal_point", two_factor=False)
    person = await served.browser()
    await person.password("fpoint")
    old = secret_of((await person.step()).text)
    clock.advance(timedelta(minutes=10, seconds=1))
    late = await person.code(totp.code_at(old, core.clock.now()))
    assert late.status_code == 303 and "/console/sign-in" in late.headers["location"]
    await person.password("fpoint")
    assert secret_of((await person.step()).text) != old

    await make_staff(core, "olena", "operator")
    chooser = await served.browser()
    await chooser.password("olena")
    account = await chooser.get("/console/password")
    started = await chooser.post("/console/two-factor", {"csrf": csrf_of(account.text)})
    assert started.status_code == 303
    first = secret_of((await chooser.step()).text)
    clock.advance(timedelta(minutes=9))
    assert secret_of((await chooser.step()).text) == first
    clock.advance(timedelta(minutes=1, seconds=1))
    stale = await chooser.code(totp.code_at(first, core.clock.now()))
    assert stale.status_code == 401
    second = secret_of(stale.text)
    assert second != first
    assert "10 minutes" in alert_of(stale.text)
    confirmed = await chooser.code(totp.code_at(second, core.clock.now()))
    assert confirmed.status_code == 200 and "recovery-codes" in confirmed.text


async def test_the_qr_code_is_the_sessions_own(served: ServedConsole) -> None:
    core = served.core
    await make_staff(core, "fpoint", "focal_point", two_factor=False)
    one, other = await served.browser(), await served.browser()
    for browser in (one, other):
        await browser.password("fpoint")
        await browser.step()
    first = await one.get("/console/sign-in/enrol/qr.svg")
    second = await other.get("/console/sign-in/enrol/qr.svg")
    assert first.status_code == second.status_code == 200
    assert first.content != second.content
