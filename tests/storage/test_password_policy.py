"""Staff passwords: at least 12 characters, not the username, not guessable."""

from __future__ import annotations

import pytest

from storage.errors import WeakPassword
from storage.password_policy import check_password


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pass", "too_short"),
        ("x" * 257, "too_long"),
        ("olena.koval-2026!", "contains_username"),
        ("Olena.Koval-2026!", "contains_username"),
        ("Password1234", "too_guessable"),
        ("qwertyuiop123", "too_guessable"),
        ("aaaaaaaaaaaaaaaa", "too_guessable"),
    ],
)
def test_refused_passwords_say_why(password: str, reason: str) -> None:
    with pytest.raises(WeakPassword) as caught:
        check_password(password, username="olena.koval")
    assert caught.value.reason == reason
    assert caught.value.code == "weak_password"
    assert password not in str(caught.value)


def test_a_long_passphrase_passes() -> None:
    check_password("violet tractor wanders quietly", username="olena.koval")


def test_the_display_name_counts_too() -> None:
    with pytest.raises(WeakPassword) as caught:
        check_password("Kovalenko-strong-9!", username="ok", display_name="Olena Kovalenko")
    assert caught.value.reason == "contains_username"
