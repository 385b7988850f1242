"""Checking every call against api.json, and the length rules Telegram applies on top.

Values arrive in two shapes. JSON bodies carry typed values, and the emulator holds them to those
types (stricter than Telegram, which quietly converts "123" to 123, because a wrong type in a
JSON body is a bug worth seeing). Form and multipart bodies carry only strings (aiogram's
AiohttpSession sends every parameter this way), so each is converted according to the declared
type, and object or array parameters are decoded from their JSON text first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tgemu.errors import BotApiError, bad_request
from tgemu.files import UploadedFile
from tgemu.formatting import render, strip_with_entities, utf16_len
from tgemu.spec import ApiSpec, MethodSpec, TypeSpec, load_spec

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64

_INT_RE = re.compile(r"^-?\d+$")
_FLOAT_RE = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_BOOL_STRINGS = {"true": True, "false": False, "1": True, "0": False}
# The "action" fields of an inline button: exactly one of them must be set.
_BUTTON_META = {"text", "icon_custom_emoji_id", "style"}
_PRIMITIVES = {"Integer", "String", "Boolean", "Float", "True", "InputFile"}


class _Invalid(Exception):
    """A nested validation failure; ``path`` names the offending field."""

    def __init__(self, path: str, reason: str, *, verbatim: str | None = None) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.verbatim = verbatim  # a complete Telegram description that must be kept as is


@dataclass
class _Context:
    files: dict[str, UploadedFile]
    used_files: set[str]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_label(types: tuple[str, ...]) -> str:
    return " or ".join(types)


def validate_params(
    method: MethodSpec,
    params: dict[str, Any],
    files: dict[str, UploadedFile],
    *,
    form: bool,
) -> dict[str, Any]:
    """Return ``params`` converted to Python values, or raise a 400 BotApiError.

    ``form`` says every value came as a string (query string, urlencoded or multipart body).
    ``files`` are multipart file parts, addressable by their part name or via ``attach://name``.
    """
    spec = load_spec()
    ctx = _Context(files=files, used_files=set())
    result: dict[str, Any] = {}
    names = set(params) | {name for name in files if name in method.fields}
    for name in sorted(names - set(method.fields)):
        if name not in files:
            raise bad_request(f'unknown parameter "{name}"')
    for name, field in method.fields.items():
        if name in params:
            value: Any = params[name]
        elif name in files:
            value = files[name]
            ctx.used_files.add(name)
        else:
            if field.required:
                raise _missing(method.name, name)
            continue
        try:
            result[name] = _check(spec, field.types, value, "", ctx, top=True, form=form)
        except _Invalid as exc:
            raise _describe(name, exc) from None
    for name in sorted(set(files) - ctx.used_files):
        raise bad_request(f'unknown parameter "{name}"')
    return result


def _missing(method: str, name: str) -> BotApiError:
    # Telegram's own wording for the parameters a bot most often gets wrong.
    if name == "text" and method in {"sendMessage", "editMessageText"}:
        return bad_request("message text is empty")
    if name == "chat_id":
        return bad_request("chat_id is empty")
    return bad_request(f"{name} is required")


def _describe(param: str, exc: _Invalid) -> BotApiError:
    if exc.verbatim:
        return BotApiError(400, exc.verbatim)
    if not exc.path:
        return bad_request(f'parameter "{param}" {exc.reason}')
    return bad_request(f'can\'t parse {param}: field "{exc.path}" {exc.reason}')


def _check(
    spec: ApiSpec,
    types: tuple[str, ...],
    value: Any,
    path: str,
    ctx: _Context,
    *,
    top: bool = False,
    form: bool = False,
) -> Any:
    """Validate ``value`` against any of ``types`` (Telegram's "X or Y")."""
    if isinstance(value, UploadedFile):
        if "InputFile" in types:
            return value
        raise _Invalid(path, f"must be of type {_type_label(types)}, not a file")
    if isinstance(value, str) and value.startswith("attach://") and "InputFile" in types:
        name = value.removeprefix("attach://")
        if name not in ctx.files:
            raise _Invalid(path, f'refers to a missing file part "{name}"')
        ctx.used_files.add(name)
        return ctx.files[name]
    complex_types = [t for t in types if t not in _PRIMITIVES]
    if top and isinstance(value, str) and complex_types and (form or not _accepts_string(types)):
        # Objects and arrays are "JSON-serialized" parameters: decode the text first.
        try:
            decoded = json.loads(value)
        except ValueError:
            if _accepts_string(types):
                return value
            raise _Invalid(path, f"must be a JSON-serialized {_type_label(types)}") from None
        if not isinstance(decoded, str):
            return _check(spec, tuple(complex_types), decoded, path, ctx)
    candidates = _candidates(spec, types, value)
    if len(candidates) == 1:
        return _check_one(spec, candidates[0], value, path, ctx, form=form)
    errors: list[_Invalid] = []
    for type_name in candidates:
        try:
            return _check_one(spec, type_name, value, path, ctx, form=form)
        except _Invalid as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    raise _Invalid(path, f"must be of type {_type_label(types)}")


def _accepts_string(types: tuple[str, ...]) -> bool:
    return "String" in types


def _candidates(spec: ApiSpec, types: tuple[str, ...], value: Any) -> list[str]:
    """Narrow "X or Y" to the alternatives the value could be, so errors name the right one.

    For an object value, an object type whose fields include every key given is the intended
    one (``{"keyboard": ...}`` is a ReplyKeyboardMarkup, not a broken InlineKeyboardMarkup).
    """
    if not isinstance(value, dict):
        return list(types)
    objects = [t for t in types if t not in _PRIMITIVES and not t.startswith("Array of ")]
    fitting = []
    for name in objects:
        type_spec = spec.types.get(name)
        if type_spec is None:
            continue
        if type_spec.is_union or set(value) <= set(type_spec.fields):
            fitting.append(name)
    return fitting or objects or list(types)


def _check_one(
    spec: ApiSpec, type_name: str, value: Any, path: str, ctx: _Context, *, form: bool
) -> Any:
    if type_name == "Integer":
        if form and isinstance(value, str) and _INT_RE.match(value):
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Invalid(path, "must be of type Integer")
    if type_name == "Float":
        if form and isinstance(value, str) and _FLOAT_RE.match(value):
            return float(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _Invalid(path, "must be of type Float")
    if type_name in {"Boolean", "True"}:
        if form and isinstance(value, str) and value.lower() in _BOOL_STRINGS:
            value = _BOOL_STRINGS[value.lower()]
        if isinstance(value, bool) and (type_name == "Boolean" or value):
            return value
        raise _Invalid(path, f"must be of type {type_name}")
    if type_name == "String":
        if isinstance(value, str):
            return value
        raise _Invalid(path, "must be of type String")
    if type_name == "InputFile":
        raise _Invalid(path, "must be a file upload")
    if type_name.startswith("Array of "):
        inner = type_name.removeprefix("Array of ")
        if not isinstance(value, list):
            raise _Invalid(path, f"must be an {type_name}")
        return [
            _check(spec, (inner,), item, f"{path}[{index}]", ctx)
            for index, item in enumerate(value)
        ]
    type_spec = spec.types.get(type_name)
    if type_spec is None:
        raise _Invalid(path, f"has an unknown type {type_name}")
    if type_spec.is_union:
        return _check_union(spec, type_spec, value, path, ctx)
    return _check_object(spec, type_spec, value, path, ctx)


def _check_union(spec: ApiSpec, union: TypeSpec, value: Any, path: str, ctx: _Context) -> Any:
    """Unions such as BotCommandScope are told apart by their ``type`` (or ``source``) field."""
    if isinstance(value, dict):
        for tag in ("source", "status", "type"):
            wanted = value.get(tag)
            tagged = [
                spec.types[sub]
                for sub in union.subtypes
                if sub in spec.types and tag in spec.types[sub].fields
            ]
            if not isinstance(wanted, str) or not tagged:
                continue
            matching = [t for t in tagged if _names_value(t.fields[tag].description, wanted)]
            if not matching:
                raise _Invalid(_join(path, tag), f"is not a known {union.name} {tag}: {wanted!r}")
            # A few values are shared (cached and uploaded inline results): try each.
            failures: list[_Invalid] = []
            for sub_spec in matching:
                try:
                    return _check_object(spec, sub_spec, value, path, ctx)
                except _Invalid as exc:
                    failures.append(exc)
            raise failures[0]
    errors: list[_Invalid] = []
    for sub in union.subtypes:
        try:
            return _check(spec, (sub,), value, path, ctx)
        except _Invalid as exc:
            errors.append(exc)
    raise _Invalid(path, f"must be one of the {union.name} types")


def _names_value(description: str, value: str) -> bool:
    """Whether a discriminator field's description fixes it to ``value`` ("always “member”")."""
    quoted = re.escape(value)
    pattern = rf'(“{quoted}”|"{quoted}"|\*{quoted}\*|(must be|always) {quoted}(?![\w]))'
    return bool(re.search(pattern, description))


def _check_object(
    spec: ApiSpec, type_spec: TypeSpec, value: Any, path: str, ctx: _Context
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(path, f"must be an Object of type {type_spec.name}")
    for key in value:
        if key not in type_spec.fields:
            raise _Invalid(_join(path, key), f"is not a field of {type_spec.name}")
    result: dict[str, Any] = {}
    for name, field in type_spec.fields.items():
        if name not in value:
            if field.required:
                raise _Invalid(_join(path, name), "is required")
            continue
        result[name] = _check(spec, field.types, value[name], _join(path, name), ctx)
    hook = _OBJECT_HOOKS.get(type_spec.name)
    if hook:
        hook(result, path)
    return result


def _check_inline_button(button: dict[str, Any], path: str) -> None:
    actions = [k for k in button if k not in _BUTTON_META]
    if not actions:
        raise _Invalid(
            path,
            "",
            verbatim="Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        )
    if len(actions) > 1:
        raise _Invalid(
            path,
            "",
            verbatim="Bad Request: can't parse inline keyboard button: "
            f"exactly one action field is allowed, got {', '.join(sorted(actions))}",
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        raise _Invalid(path, "", verbatim="Bad Request: BUTTON_DATA_INVALID")
    if not button["text"]:
        raise _Invalid(path, "", verbatim="Bad Request: BUTTON_TEXT_INVALID")


_OBJECT_HOOKS = {"InlineKeyboardButton": _check_inline_button}


# --- text rules applied by the methods ------------------------------------------------------


def render_text(
    text: str | None,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
    *,
    caption: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """Turn a message text or caption into (visible text, entities), enforcing Telegram limits.

    A caption may be empty; a text may not. Lengths are counted after markup is parsed and the
    surrounding whitespace trimmed, in UTF-16 code units, exactly as Telegram counts them.
    """
    source = text or ""
    if entities is not None and parse_mode:
        # Telegram ignores parse_mode when entities are given explicitly.
        parse_mode = None
    visible, parsed = render(source, parse_mode)
    visible, parsed = strip_with_entities(visible, entities if entities is not None else parsed)
    length = utf16_len(visible)
    if caption:
        if length > MAX_CAPTION:
            raise bad_request("message caption is too long")
    else:
        if length == 0:
            raise bad_request("message text is empty")
        if length > MAX_TEXT:
            raise bad_request("message is too long")
    return visible, parsed
