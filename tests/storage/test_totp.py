"""TOTP (RFC 6238) and recovery codes: right codes pass once, wrong or reused ones never."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from storage import totp

NOW = datetime(2026, 3, 2, 9, 0, 7, tzinfo=UTC)


def test_rfc_6238_reference_vector() -> None:
    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s -> 94287082 (8 digits).
    import base64

    import pyotp

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert pyotp.TOTP(secret, digits=8).at(59) == "94287082"
    assert totp.code_at(secret, datetime.fromtimestamp(59, UTC)) == "287082"


def test_enrolment_uri_names_the_issuer_and_account() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32  # 160 bits
    uri = urlparse(totp.provisioning_uri(secret, "olena"))
    assert uri.scheme == "otpauth" and uri.netloc == "totp" and uri.path == "/Holos:olena"
    assert parse_qs(uri.query)["secret"] == [secret]


def test_a_code_is_accepted_once_within_one_step_of_drift() -> None:
    secret = totp.new_secret()
    for offset in (-30, 0, 30):
        code = totp.code_at(secret, NOW + timedelta(seconds=offset))
        assert totp.accepted_step(secret, code, now=NOW, last_step=None) is not None
    code = totp.code_at(secret, NOW)
    step = totp.accepted_step(secret, code, now=NOW, last_step=None)
    assert step == totp.step_of(NOW)
    assert totp.accepted_step(secret, code, now=NOW, last_step=step) is None  # replay
    old = totp.code_at(secret, NOW - timedelta(minutes=2))
    assert totp.accepted_step(secret, old, now=NOW, last_step=None) is None


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_refused(typed: str) -> None:
    assert totp.accepted_step(totp.new_secret(), typed, now=NOW, last_step=None) is None


def test_recovery_codes_are_ten_distinct_and_forgiving_to_type() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert totp.normalise_recovery_code(code) == code
        assert totp.normalise_recovery_code(f" {code.lower().replace('-', ' ')} ") == code
    assert totp.normalise_recovery_code("O0O0O-IiLl1") == "00000-11111"
    assert totp.normalise_recovery_code("too-short") is None
    assert totp.normalise_recovery_code("UUUUU-UUUUU") is None  # U is not in the alphabet
