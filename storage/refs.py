"""Case references and public ids that say nothing about how many there are.

A sequential reference (``HL-2026-000123``) tells anyone who sees two of them how many
cases arrived in between, sealed ones included. New references are random: 40 bits in
Crockford's base32 (no I, L, O or U, so nothing is misread), grouped for reading, with a
check character (Luhn mod 32 over the same alphabet, which catches every single wrong
character and most swapped neighbours): ``HL-7K2M-9QXD-R``.

References given before this change stay valid exactly as they are. A reference typed by
a person is read leniently: any case, with or without hyphens or spaces, O for 0 and I or
L for 1. A malformed one, or one whose check character is wrong, is known not to exist
without asking the database.

Attachments, additions, notes, replies and audit events get a random public id the same
way (60 bits, no check character: they are copied, never typed); their numeric keys stay
inside the database.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})
PREFIX = "HL"
_BODY = 8  # 40 bits
PUBLIC_ID_CHARS = 12  # 60 bits
_LEGACY = re.compile(r"[0-9]{10,13}")  # a year and a 6-9 digit number

# What a path parameter may look like before it is read (hyphens and case are optional).
REF_PATTERN = r"^[A-Za-z]{2}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4,9}-?[0-9A-Za-z]?$"
PUBLIC_ID_PATTERN = r"^[0-9A-Za-z]{1,24}$"


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def check_character(payload: str) -> str:
    """Luhn mod N (N = 32) over ``payload``'s symbols."""
    total, factor = 0, 2
    for ch in reversed(payload):
        addend = factor * _VALUE[ch]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_case_ref() -> str:
    body = _random(_BODY)
    return f"{PREFIX}-{body[:4]}-{body[4:]}-{check_character(body)}"


def new_public_id() -> str:
    return _random(PUBLIC_ID_CHARS)


def canonical_ref(text: str) -> str | None:
    """The stored form of a reference as a person may type it, or None when it cannot
    be one (wrong shape or wrong check character)."""
    compact = text.strip().upper().replace("-", "").replace(" ", "")
    if not compact.startswith(PREFIX):
        return None
    body = compact[len(PREFIX) :].translate(_READ_AS)
    if _LEGACY.fullmatch(body):
        return f"{PREFIX}-{body[:4]}-{body[4:]}"
    if len(body) != _BODY + 1 or any(ch not in _VALUE for ch in body):
        return None
    if check_character(body[:_BODY]) != body[_BODY]:
        return None
    return f"{PREFIX}-{body[:4]}-{body[4:8]}-{body[8]}"


def canonical_public_id(text: str) -> str:
    return text.strip().upper().translate(_READ_AS)
