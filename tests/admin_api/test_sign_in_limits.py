"""The sign-in throttle against guessing from many addresses (issue 18 §4), on both
engines: every failure on an account slows that account's next sign-ins (at most 30 s,
after which the right password and code still get in: nobody can lock anyone out),
addresses count by the network a provider hands one person (IPv6 by /64), and codes
typed in another script's digits are wrong codes, never a server error (§5).

The waits are the clock's (``FrozenClock.sleep`` records them and moves time on), so
nothing here waits for real."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from storage.clock import FrozenClock
from tests.admin_api.helpers import PASSWORD, Api
from tests.storage.helpers import make_staff, otp, submit

V1 = "/api/v1"
GUESS = "guess-guess-guess"
# The waits of consecutive failures on one account: three free, then doubling to 30 s.
GROWING = [0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]


async def attempt(
    api: Api, username: str, address: str, password: str = GUESS, code: str | None = None
) -> httpx.Response:
    data = {"username": username, "password": password}
    if code is not None:
        data["otp"] = code
    return await api.http.post(f"{V1}/auth/token", data=data, headers={"X-Forwarded-For": address})


@pytest.fixture
def behind_proxy(api: Api) -> Api:
    api.core.settings.trusted_proxies = ["127.0.0.1/32"]
    return api


@pytest.mark.parametrize("username", ["fpoint", "nobody"])
async def test_failures_from_many_addresses_slow_the_account_but_never_lock_it(
    behind_proxy: Api, clock: FrozenClock, username: str
) -> None:
    api = behind_proxy
    await make_staff(api.core, "fpoint", "focal_point")
    for i in range(len(GROWING)):
        # A new address each time: no per-address limit is ever reached.
        response = await attempt(api, username, f"203.0.113.{i}")
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"
    # An unknown name is slowed exactly like a real one (nothing tells them apart).
    assert clock.slept == GROWING
    # The focal point, from home, with the right password and code: in, never refused;
    # after the longest wait when the failures were on that account, at once otherwise.
    code = await otp(api.core, "fpoint")
    mine = await attempt(api, "fpoint", "198.51.100.4", PASSWORD, code)
    assert mine.status_code == 200, mine.text
    assert clock.slept[-1] == (30.0 if username == "fpoint" else 0.0)


async def test_parallel_guesses_each_wait_their_turn(behind_proxy: Api, clock: FrozenClock) -> None:
    """Ten guesses sent at once do not all pass before the first failure is counted:
    each takes its place in the count before its wait is decided."""
    api = behind_proxy
    await make_staff(api.core, "maria", "operator")
    answers = await asyncio.gather(*(attempt(api, "maria", f"203.0.113.{i}") for i in range(10)))
    assert [a.status_code for a in answers] == [401] * 10
    assert sorted(clock.slept) == GROWING[:10]


async def test_a_right_password_gives_its_place_back(behind_proxy: Api, clock: FrozenClock) -> None:
    """Someone who mistypes twice and then signs in (a script, every morning) is never
    slowed by their own successes."""
    api = behind_proxy
    await make_staff(api.core, "maria", "operator")
    for _ in range(2):
        assert (await attempt(api, "maria", "198.51.100.4")).status_code == 401
    for _ in range(5):
        assert (await attempt(api, "maria", "198.51.100.4", PASSWORD)).status_code == 200
    assert clock.slept == [0.0] * 7


async def test_a_slowed_sign_in_holds_no_lock_while_it_waits(
    behind_proxy: Api, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait happens before the sign-in's transaction: on SQLite a held write lock
    would stop every other change for up to 30 s."""
    api = behind_proxy
    await api.add_staff("operator", "operator")
    case = await submit(api.core)
    for i in range(3):
        assert (await attempt(api, "operator", f"203.0.113.{i}")).status_code == 401
    noted: list[int] = []

    async def others_work_meanwhile(seconds: float) -> None:
        if seconds > 0:
            note = api.call(
                "POST", f"{V1}/cases/{case.ref}/notes", "operator", json={"text": "Called back."}
            )
            noted.append((await asyncio.wait_for(note, timeout=20)).status_code)

    monkeypatch.setattr(clock, "sleep", others_work_meanwhile)
    assert (await attempt(api, "operator", "198.51.100.4", PASSWORD)).status_code == 200
    assert noted == [201]


async def test_ipv6_addresses_count_by_their_64(behind_proxy: Api) -> None:
    api = behind_proxy
    await make_staff(api.core, "maria", "operator")
    for i in range(1, 6):
        # A /64 holds 2^64 addresses: a new one for every guess is no escape.
        assert (await attempt(api, "maria", f"2001:db8:1:2::{i:x}")).status_code == 401
    same_network = await attempt(api, "maria", "2001:db8:1:2:ffff::9", PASSWORD)
    assert same_network.status_code == 429
    assert int(same_network.headers["Retry-After"]) > 0
    # Maria's own network, the next /64 over, is not affected.
    assert (await attempt(api, "maria", "2001:db8:1:3::1", PASSWORD)).status_code == 200


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    "typed",
    ["１２３４５６", "١٢٣٤٥٦", "१२३४५६", "12345６", "𝟏𝟐𝟑𝟒𝟓𝟔", "12\u200b3456"],
)
async def test_digits_of_other_scripts_in_otp_are_a_wrong_code(api: Api, typed: str) -> None:
    await make_staff(api.core, "fpoint", "focal_point")
    response = await api.login("fpoint", PASSWORD, typed)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "authentication_failed"
    # Even the right code, in full-width digits, is a wrong code: only ASCII digits count.
    right = await otp(api.core, "fpoint")
    assert right is not None
    assert (await api.login("fpoint", PASSWORD, right.translate(FULL_WIDTH))).status_code == 401
    assert (await api.login("fpoint", PASSWORD, right)).status_code == 200
