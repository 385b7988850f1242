"""Validation of a contact the reporter types (phone or e-mail), kept minimal on purpose."""

from __future__ import annotations

import re

from storage.errors import InvalidContact
from storage.text import clean

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_CHARS = re.compile(r"^\+?[\d\s\-().]{7,25}$")


def normalize_contact(raw: str) -> str:
    value = " ".join(clean(raw).split())
    if len(value) > 120:
        raise InvalidContact()
    if _EMAIL.match(value):
        return value
    if _PHONE_CHARS.match(value) and 7 <= sum(ch.isdigit() for ch in value) <= 15:
        return value
    raise InvalidContact()
