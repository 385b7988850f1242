"""Staff password policy: long, not the username, and not guessable (zxcvbn).

A length rule alone lets "Password1234" through; zxcvbn estimates how many guesses an
attacker who knows common passwords, names, dates, keyboard patterns and the username
would need, and a score under 3 (under ~10^8 guesses) is refused.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

from storage.errors import WeakPassword

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3
# zxcvbn's work grows with length; beyond this a password is long enough to judge by its start.
_ESTIMATED_CHARS = 100


def check_password(password: str, *, username: str = "", display_name: str = "") -> None:
    """Raise :class:`WeakPassword` (with a reason code) for a password the policy refuses."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(MIN_LENGTH, reason="too_short")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(MIN_LENGTH, reason="too_long")
    folded = password.casefold()
    names = [n for n in (username, *display_name.split()) if len(n) >= 3]
    if any(name.casefold() in folded for name in names):
        raise WeakPassword(MIN_LENGTH, reason="contains_username")
    estimate = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=[*names, "holos"])
    if estimate["score"] < MIN_SCORE:
        raise WeakPassword(MIN_LENGTH, reason="too_guessable")
