"""Turning ``parse_mode`` markup into what the user sees: plain text plus entities.

Telegram stores a message as plain text and a list of entities whose offsets and lengths are
counted in UTF-16 code units; the markup the bot sent is gone. The emulator does the same, so a
test reads the text a beneficiary reads, and malformed markup is refused with Telegram's
"can't parse entities" error instead of being shown raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tgemu.errors import BotApiError, bad_request


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Builder:
    """Accumulates text while tracking UTF-16 offsets for entities."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def text(self) -> str:
        return "".join(self.parts)


def _entity_error(reason: str) -> BotApiError:
    return bad_request(f"can't parse entities: {reason}")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


# --- HTML -----------------------------------------------------------------------------------

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r"""\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")


def _decode_entities(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        body = match.group(1)
        if body.startswith("#x"):
            return chr(int(body[2:], 16))
        if body.startswith("#"):
            return chr(int(body[1:]))
        return _NAMED_ENTITIES.get(body, match.group(0))

    return _ENTITY_RE.sub(repl, text)


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    pos = 0
    while pos < len(raw):
        match = _ATTR_RE.match(raw, pos)
        if not match or match.end() == pos:
            break
        value = match.group(2) or match.group(3) or match.group(4) or ""
        attrs[match.group(1).lower()] = _decode_entities(value)
        pos = match.end()
    return attrs


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's HTML subset; raise BotApiError on what Telegram refuses."""
    out = _Builder()
    stack: list[tuple[str, str, int, dict[str, Any]]] = []  # tag, entity type, offset, extra
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "&":
            match = _ENTITY_RE.match(source, i)
            if match:
                out.add(_decode_entities(match.group(0)))
                i = match.end()
                continue
            out.add(ch)
            i += 1
            continue
        if ch != "<":
            j = i
            while j < len(source) and source[j] not in "<&":
                j += 1
            out.add(source[i:j])
            i = j
            continue
        end = source.find(">", i)
        if end == -1:
            raise _entity_error(
                f"Can't find end of the tag at byte offset {_byte_offset(source, i)}"
            )
        inner = source[i + 1 : end]
        if inner.startswith("/"):
            name = inner[1:].strip().lower()
            if not stack:
                raise _entity_error(f"Unexpected end tag at byte offset {_byte_offset(source, i)}")
            tag, etype, offset, extra = stack.pop()
            if name != tag:
                raise _entity_error(
                    f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                    f'expected "</{tag}>", found "</{name}>"'
                )
            length = out.length - offset
            if etype and length > 0:
                out.entities.append({"type": etype, "offset": offset, "length": length, **extra})
            i = end + 1
            continue
        match = re.match(r"([a-zA-Z][a-zA-Z0-9-]*)", inner)
        name = match.group(1).lower() if match else ""
        attrs = _parse_attrs(inner[len(name) :]) if match else {}
        etype, extra = _html_entity(name, attrs, stack, source, i)
        stack.append((name, etype, out.length, extra))
        i = end + 1
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.text(), sorted(out.entities, key=lambda e: (e["offset"], -e["length"]))


def _html_entity(
    name: str,
    attrs: dict[str, str],
    stack: list[tuple[str, str, int, dict[str, Any]]],
    source: str,
    index: int,
) -> tuple[str, dict[str, Any]]:
    if name == "a":
        href = attrs.get("href", "")
        if href.startswith("tg://user?id="):
            return "text_mention", {"user": {"id": int(href.split("=", 1)[1] or 0)}}
        return "text_link", {"url": href}
    if name == "span":
        if attrs.get("class") == "tg-spoiler":
            return "spoiler", {}
        raise _entity_error(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, index)}'
        )
    if name == "tg-emoji":
        return "custom_emoji", {"custom_emoji_id": attrs.get("emoji-id", "")}
    if name == "tg-time":
        return "date_time", {"unix_time": int(attrs.get("unix", "0") or 0)}
    if name == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            # Telegram folds <pre><code class="language-x"> into one pre entity with a language.
            stack[-1][3]["language"] = language.removeprefix("language-")
        return "", {}
    if name == "blockquote" and "expandable" in attrs:
        return "expandable_blockquote", {}
    if name in _SIMPLE_TAGS:
        return _SIMPLE_TAGS[name], {}
    raise _entity_error(
        f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, index)}'
    )


# --- MarkdownV2 -----------------------------------------------------------------------------

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_MARKERS = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2, including its rule that every reserved character must be escaped."""
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # marker, text offset, source index
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            if i + 1 < n:
                out.add(source[i + 1])
                i += 2
                continue
            raise _entity_error(
                "Character '\\' is reserved and must be escaped with the preceding '\\'"
            )
        if ch == "`":
            fence = source.startswith("```", i)
            marker = "```" if fence else "`"
            close = _find_unescaped(source, marker, i + len(marker))
            if close == -1:
                kind = "pre" if fence else "code"
                raise _entity_error(
                    f"Can't find end of {kind.capitalize()} entity at byte offset "
                    f"{_byte_offset(source, i)}"
                )
            body = source[i + len(marker) : close]
            extra: dict[str, Any] = {}
            if fence:
                first, sep, rest = body.partition("\n")
                if sep and first and " " not in first:
                    extra["language"] = first
                    body = rest
            body = re.sub(r"\\(.)", r"\1", body)
            offset = out.length
            out.add(body)
            if body:
                out.entities.append(
                    {
                        "type": "pre" if fence else "code",
                        "offset": offset,
                        "length": out.length - offset,
                        **extra,
                    }
                )
            i = close + len(marker)
            continue
        if ch == "[":
            close = _find_unescaped(source, "]", i + 1)
            if close != -1 and source.startswith("(", close + 1):
                url_end = _find_unescaped(source, ")", close + 2)
                if url_end == -1:
                    raise _entity_error(
                        f"Can't find end of a URL at byte offset {_byte_offset(source, close)}"
                    )
                label_text, label_entities = parse_markdown_v2(source[i + 1 : close])
                offset = out.length
                for entity in label_entities:
                    out.entities.append({**entity, "offset": entity["offset"] + offset})
                out.add(label_text)
                url = re.sub(r"\\(.)", r"\1", source[close + 2 : url_end])
                out.entities.append(
                    {
                        "type": "text_link",
                        "offset": offset,
                        "length": out.length - offset,
                        "url": url,
                    }
                )
                i = url_end + 1
                continue
        two = source[i : i + 2]
        marker = two if two in ("__", "||") else ch
        if marker in _MDV2_MARKERS:
            if stack and stack[-1][0] == marker:
                _, offset, _start = stack.pop()
                if out.length > offset:
                    out.entities.append(
                        {
                            "type": _MDV2_MARKERS[marker],
                            "offset": offset,
                            "length": out.length - offset,
                        }
                    )
            else:
                stack.append((marker, out.length, i))
            i += len(marker)
            continue
        if ch == ">" and (i == 0 or source[i - 1] == "\n"):
            # A blockquote line marker: the character itself is not shown.
            i += 1
            continue
        if ch in _MDV2_RESERVED:
            raise _entity_error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        out.add(ch)
        i += 1
    if stack:
        marker, _offset, start = stack[-1]
        raise _entity_error(
            f"Can't find end of {_MDV2_MARKERS[marker].capitalize()} entity at byte offset "
            f"{_byte_offset(source, start)}"
        )
    return out.text(), sorted(out.entities, key=lambda e: (e["offset"], -e["length"]))


def _find_unescaped(source: str, needle: str, start: int) -> int:
    i = start
    while i < len(source):
        if source[i] == "\\":
            i += 2
            continue
        if source.startswith(needle, i):
            return i
        i += 1
    return -1


# --- legacy Markdown ------------------------------------------------------------------------

_MD_MARKERS = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse the legacy Markdown mode (bold, italic, code, pre, links; no nesting)."""
    out = _Builder()
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
            continue
        if source.startswith("```", i):
            close = source.find("```", i + 3)
            if close == -1:
                raise _entity_error(
                    "Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(source, i)}"
                )
            offset = out.length
            out.add(source[i + 3 : close])
            out.entities.append({"type": "pre", "offset": offset, "length": out.length - offset})
            i = close + 3
            continue
        if ch in _MD_MARKERS:
            close = source.find(ch, i + 1)
            if close == -1:
                raise _entity_error(
                    "Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(source, i)}"
                )
            offset = out.length
            out.add(source[i + 1 : close])
            if out.length > offset:
                out.entities.append(
                    {"type": _MD_MARKERS[ch], "offset": offset, "length": out.length - offset}
                )
            i = close + 1
            continue
        if ch == "[":
            close = source.find("](", i)
            url_end = source.find(")", close + 2) if close != -1 else -1
            if close != -1 and url_end != -1:
                offset = out.length
                out.add(source[i + 1 : close])
                out.entities.append(
                    {
                        "type": "text_link",
                        "offset": offset,
                        "length": out.length - offset,
                        "url": source[close + 2 : url_end],
                    }
                )
                i = url_end + 1
                continue
        out.add(ch)
        i += 1
    return out.text(), out.entities


def render(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Apply ``parse_mode`` (case-insensitive, as Telegram treats it) to ``text``."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise bad_request(f"unsupported parse_mode {parse_mode}")


def strip_with_entities(
    text: str, entities: list[dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace like Telegram does, keeping entities aligned with the text."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
