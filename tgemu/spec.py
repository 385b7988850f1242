"""The Bot API specification as data, loaded once from the packaged copy of api.json.

The emulator validates every call against this file instead of a hand-written list, so a
parameter the bot sends that Telegram does not know is caught here rather than in production.
The copy lives in ``tgemu/data`` (MIT, see the LICENSE beside it) because the product
must run where ``../shared`` does not exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
API_JSON = DATA_DIR / "api.json"

# Parameters that Telegram still accepts although the current specification dropped them.
# aiogram keeps them as deprecated fields, so a bot may legitimately send them.
LEGACY_PARAMETERS: dict[str, list[str]] = {
    "reply_to_message_id": ["Integer"],
    "allow_sending_without_reply": ["Boolean"],
    "disable_web_page_preview": ["Boolean"],
}
_LEGACY_HOSTS = {"reply_to_message_id", "allow_sending_without_reply"}


@dataclass(frozen=True, slots=True)
class Field:
    """One parameter of a method or one field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    fields: dict[str, Field]
    returns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """A type: either an object with ``fields`` or a union with ``subtypes``."""

    name: str
    fields: dict[str, Field]
    subtypes: tuple[str, ...]
    description: str

    @property
    def is_union(self) -> bool:
        return bool(self.subtypes)


@dataclass(frozen=True, slots=True)
class ApiSpec:
    version: str
    methods: dict[str, MethodSpec]
    types: dict[str, TypeSpec]
    # Telegram matches method names case-insensitively.
    methods_lower: dict[str, str]

    def method(self, name: str) -> MethodSpec | None:
        canonical = self.methods_lower.get(name.lower())
        return self.methods[canonical] if canonical else None


def _fields(raw: list[dict[str, Any]] | None) -> dict[str, Field]:
    return {
        f["name"]: Field(
            name=f["name"],
            types=tuple(f["types"]),
            required=bool(f.get("required", False)),
            description=str(f.get("description", "")),
        )
        for f in raw or []
    }


def _with_legacy(name: str, fields: dict[str, Field]) -> dict[str, Field]:
    """Add the deprecated parameters that still work to the methods that used to have them."""
    extra: dict[str, Field] = {}
    sends = "reply_parameters" in fields
    if sends:
        for legacy in _LEGACY_HOSTS:
            extra[legacy] = Field(legacy, tuple(LEGACY_PARAMETERS[legacy]), False, "legacy")
    if "link_preview_options" in fields:
        extra["disable_web_page_preview"] = Field(
            "disable_web_page_preview", ("Boolean",), False, "legacy"
        )
    return {**fields, **{k: v for k, v in extra.items() if k not in fields}}


@cache
def load_spec() -> ApiSpec:
    """Parse the packaged api.json; cached so every request shares one copy."""
    raw = json.loads(API_JSON.read_text(encoding="utf-8"))
    methods = {
        name: MethodSpec(
            name=name,
            fields=_with_legacy(name, _fields(m.get("fields"))),
            returns=tuple(m.get("returns", [])),
        )
        for name, m in raw["methods"].items()
    }
    types = {
        name: TypeSpec(
            name=name,
            fields=_fields(t.get("fields")),
            subtypes=tuple(t.get("subtypes", [])),
            description=" ".join(t.get("description", [])),
        )
        for name, t in raw["types"].items()
    }
    return ApiSpec(
        version=str(raw.get("version", "")),
        methods=methods,
        types=types,
        methods_lower={name.lower(): name for name in methods},
    )
