"""Text as people send it, made safe to store on every engine."""

from __future__ import annotations

import re

# NUL and lone surrogates: PostgreSQL refuses them, and no person means them.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean(text: str) -> str:
    return _UNSTORABLE.sub("", text)
