"""Staff two-factor sign-in: TOTP (RFC 6238) and one-time recovery codes.

The secret is 160 random bits (RFC 4226's recommendation), shown once at enrolment as an
``otpauth://`` URI, as text and as a QR code, and stored encrypted. A code is accepted
within one 30-second step either side (clock drift) and only for a step later than the
last one accepted, so an overheard code cannot be replayed. Recovery codes are random,
shown once, stored as keyed hashes, and each works once.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import pyotp

ISSUER = "Holos"
DIGITS = 6
STEP_SECONDS = 30
RECOVERY_CODES = 10
# Crockford's base32 without look-alikes: what a person copies from paper without errors.
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_CHARS = 10  # 50 bits each
_NOT_RECOVERY = re.compile(r"[\s\-]+")
# ASCII digits only: ``\d`` would also take full-width, Arabic-Indic and other digits,
# which no authenticator app shows (and which ``compare_digest`` cannot compare).
_CODE = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=username, issuer_name=ISSUER
    )


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator app shows at ``moment`` (for tests and enrolment checks)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(moment)


def accepted_step(secret: str, code: str, *, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, or None when it is wrong, stale or already used."""
    code = code.strip().replace(" ", "")
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = step_of(now)
    for step in (current, current - 1, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """``count`` codes like ``7KQ2M-9XD4T``."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_CHARS))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(typed: str) -> str | None:
    """The canonical form of what a person typed (case, dashes, spaces, O/I/L forgiven)."""
    if not typed.isascii():  # before upper(): "ß" or "ﬀ" must not turn into letters
        return None
    compact = _NOT_RECOVERY.sub("", typed).upper().translate(str.maketrans("OIL", "011"))
    if len(compact) != _RECOVERY_CHARS or any(c not in _RECOVERY_ALPHABET for c in compact):
        return None
    return f"{compact[:5]}-{compact[5:]}"


def looks_like_totp(typed: str) -> bool:
    return bool(_CODE.fullmatch(typed.strip().replace(" ", "")))
