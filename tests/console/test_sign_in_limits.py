"""The console's sign-in under attack (issue 18 §4 and §5), over HTTP on both engines:
the account-wide slow-down, the code step's limits (five minutes, the address that
passed the password, five codes), codes and form tokens in any script, and cookies
marked ``Secure`` behind the TLS proxy.

The waits are the clock's (``FrozenClock.sleep`` records them and moves time on)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from storage.clock import FrozenClock
from tests.console.http_client import PASSWORD, ServedConsole, alert_of, csrf_of
from tests.storage.helpers import make_staff, otp

GUESS = "guess-guess-guess"
GROWING = [0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]


def to_sign_in(response: httpx.Response) -> bool:
    """A redirect back to the password: the half-finished sign-in is over."""
    return (
        response.status_code == 303
        and response.headers["location"].startswith("/console/sign-in")
        and "next-step" not in response.headers["location"]
    )


async def test_failures_slow_the_account_and_the_person_still_gets_in(
    served: ServedConsole, clock: FrozenClock
) -> None:
    served.behind_proxy()
    await make_staff(served.core, "olena", "operator")
    for i in range(len(GROWING)):
        guesser = await served.browser(f"203.0.113.{i}")
        assert (await guesser.password("olena", GUESS)).status_code == 401
    assert clock.slept == GROWING
    olena = await served.browser("198.51.100.4")
    signed_in = await olena.password("olena")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/cases"
    assert clock.slept[-1] == 30.0


async def test_ipv6_addresses_count_by_their_64(served: ServedConsole) -> None:
    served.behind_proxy()
    await make_staff(served.core, "olena", "operator")
    for i in range(1, 6):
        guesser = await served.browser(f"2001:db8:1:2::{i:x}")
        assert (await guesser.password("olena", GUESS)).status_code == 401
    same = await served.browser("2001:db8:1:2:ffff::9")
    refused = await same.password("olena")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    elsewhere = await served.browser("2001:db8:1:3::1")
    assert (await elsewhere.password("olena")).status_code == 303


async def test_the_code_step_lasts_five_minutes(served: ServedConsole, clock: FrozenClock) -> None:
    await make_staff(served.core, "fpoint", "focal_point")
    person = await served.browser()
    assert (await person.password("fpoint")).status_code == 303
    await person.step()
    clock.advance(timedelta(minutes=5, seconds=1))
    code = await otp(served.core, "fpoint")
    assert code is not None
    assert to_sign_in(await person.code(code))
    assert to_sign_in(await person.step())
    # Within five minutes the same code works.
    await person.password("fpoint")
    await person.step()
    clock.advance(timedelta(minutes=4, seconds=50))
    code = await otp(served.core, "fpoint")
    assert code is not None
    done = await person.code(code)
    assert done.status_code == 303 and done.headers["location"] == "/console/cases"


@pytest.mark.real_http  # the addresses as a server on a socket sees them
async def test_the_code_step_belongs_to_the_address_that_passed_the_password(
    served: ServedConsole,
) -> None:
    served.behind_proxy()
    await make_staff(served.core, "fpoint", "focal_point")
    person = await served.browser("2001:db8:5:6::10")
    assert (await person.password("fpoint")).status_code == 303
    await person.step()
    csrf = csrf_of(person.last_page)
    code = await otp(served.core, "fpoint")
    assert code is not None
    # The cookie carried to another network (a stolen cookie, someone else's proxy).
    person.address = "203.0.113.66"
    assert to_sign_in(await person.code(code, csrf=csrf))
    # Back home (the same /64: phones change their own address within it), it goes on.
    person.address = "2001:db8:5:6::11"
    page = await person.step()
    assert page.status_code == 200
    done = await person.code(code)
    assert done.status_code == 303 and done.headers["location"] == "/console/cases"


async def test_the_code_step_takes_five_codes(served: ServedConsole) -> None:
    await make_staff(served.core, "fpoint", "focal_point")
    person = await served.browser()
    await person.password("fpoint")
    await person.step()
    for _ in range(4):
        assert (await person.code("000000")).status_code == 401
    fifth = await person.recovery_code("AAAAA-AAAAA")  # recovery codes count too
    assert fifth.status_code == 401
    assert "sign in again" in alert_of(fifth.text)
    assert person.session_cookie() is None
    code = await otp(served.core, "fpoint")
    assert code is not None
    assert to_sign_in(await person.step())
    assert to_sign_in(await person.code(code, csrf=csrf_of(fifth.text)))


@pytest.mark.parametrize("typed", ["１２３４５６", "١٢٣٤٥٦", "𝟏𝟐𝟑𝟒𝟓𝟔"])
async def test_codes_in_other_scripts_digits_are_wrong_codes(
    served: ServedConsole, typed: str
) -> None:
    await make_staff(served.core, "fpoint", "focal_point")
    await make_staff(served.core, "boss", "admin", two_factor=False)
    fpoint = await served.browser()
    await fpoint.password("fpoint")
    await fpoint.step()
    wrong = await fpoint.code(typed)
    assert wrong.status_code == 401 and "wrong" in alert_of(wrong.text)
    recovery = await fpoint.recovery_code(typed[:5] + "-" + typed)
    assert recovery.status_code == 401
    boss = await served.browser()
    await boss.password("boss")
    await boss.step()  # enrolment
    assert (await boss.code(typed)).status_code == 401


async def test_a_form_token_in_any_script_is_refused_not_a_crash(served: ServedConsole) -> None:
    await make_staff(served.core, "fpoint", "focal_point")
    await make_staff(served.core, "olena", "operator")
    forged = "токен-ﾄｰｸﾝ"
    stranger = await served.browser()
    await stranger.get("/console/sign-in")
    refused = await stranger.post(
        "/console/sign-in", {"username": "olena", "password": PASSWORD, "csrf": forged}
    )
    assert refused.status_code == 403
    half = await served.browser()
    await half.password("fpoint")
    await half.step()
    assert (await half.code("123456", csrf=forged)).status_code == 403
    olena = await served.browser()
    await olena.password("olena")
    assert (await olena.post("/console/sign-out", {"csrf": forged})).status_code == 403
    language = await olena.post("/console/language", {"language": "en", "csrf": forged})
    assert language.status_code == 403


def cookie_flags(response: httpx.Response, name: str) -> set[str]:
    """The attributes (lower case, without values) of cookie ``name`` set by ``response``."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    raise AssertionError(f"{name} is not set")


@pytest.mark.real_http  # the Set-Cookie headers as they leave a real server
async def test_cookies_are_secure_behind_the_tls_proxy(served: ServedConsole) -> None:
    await make_staff(served.core, "olena", "operator")
    settings = served.core.settings
    # Straight over HTTP and no public URL (the sandbox): not Secure, or no browser would
    # keep them.
    plain = await served.browser()
    assert "secure" not in cookie_flags(await plain.get("/console/sign-in"), "holos_console_pre")

    # HOLOS_PUBLIC_URL says https (the documented deployment behind Caddy): every cookie
    # the console sets is Secure, though the proxy talks to it in plain HTTP.
    settings.public_url = "https://holos.example.org"
    page = await plain.get("/console/sign-in")
    assert {"secure", "httponly", "samesite"} <= cookie_flags(page, "holos_console_pre")
    # (Secure cookies are not sent back over plain HTTP; the test sends them itself.)
    pre = page.cookies["holos_console_pre"]
    signed_in = await plain.http.post(
        "/console/sign-in",
        data={"username": "olena", "password": PASSWORD, "csrf": csrf_of(page.text)},
        headers={"Cookie": f"holos_console_pre={pre}"},
    )
    assert signed_in.status_code == 303
    assert "secure" in cookie_flags(signed_in, "holos_console")
    language = await plain.http.post(
        "/console/language",
        data={"language": "en", "csrf": csrf_of(page.text)},
        headers={"Cookie": f"holos_console_pre={pre}"},
    )
    assert "secure" in cookie_flags(language, "holos_lang")

    # Without the setting, the trusted proxy's X-Forwarded-Proto says the same …
    settings.public_url = None
    served.behind_proxy()
    proxied = await served.browser("198.51.100.4")
    https = {"X-Forwarded-Proto": "https"}
    assert "secure" in cookie_flags(
        await proxied.get("/console/sign-in", **https), "holos_console_pre"
    )
    # … and from anyone else it is ignored.
    settings.trusted_proxies = []
    assert "secure" not in cookie_flags(
        await proxied.get("/console/sign-in", **https), "holos_console_pre"
    )
